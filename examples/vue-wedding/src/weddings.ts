import type { SupabaseClient } from '@supabase/supabase-js'
import type { Vendor, Wedding } from './model'

/**
 * Weddings with their vendors, read once (they do not change during the day; the vendors table has no updated_at
 * cursor, so it is not a live table). Readable by anyone (the schema's RLS: the day's schedule is public).
 */
export async function loadWeddings(supabase: SupabaseClient, id?: number): Promise<Wedding[]> {
  let query = supabase.from('weddings').select('id, couple, date, vendors(id, name, role)').order('id')
  if (id !== undefined) query = query.eq('id', id)
  const { data, error } = await query
  if (error) throw new Error(`Could not read the weddings: ${error.message}`)
  return (data as unknown as Wedding[]).map((wedding) => ({
    ...wedding,
    vendors: [...(wedding.vendors as Vendor[])].sort((a, b) => a.role.localeCompare(b.role)),
  }))
}
