import { useEffect, useState } from 'react'
import type { SupabaseClient } from '@supabase/supabase-js'

/** The project's name, read once (RLS: members only); "Project 3" until it arrives, or if it cannot be read. */
export function useProjectName(supabase: SupabaseClient, projectId: number): string {
  const [name, setName] = useState<string | undefined>()
  useEffect(() => {
    let cancelled = false
    void supabase
      .from('projects')
      .select('name')
      .eq('id', projectId)
      .maybeSingle()
      .then(({ data }) => {
        if (!cancelled && data && typeof data.name === 'string') setName(data.name)
      })
    return () => {
      cancelled = true
    }
  }, [supabase, projectId])
  return name ?? `Project ${projectId}`
}
