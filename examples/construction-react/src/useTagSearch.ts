import { useMemo } from 'react'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The rows whose tag contains the query (any case), an exact match first. In memory: 100,000 rows take a few
 * milliseconds, so it runs on every keystroke. The list keeps the live table's order (primary key).
 */
export function useTagSearch<R extends { tag: string }>(rows: ReadonlyMap<string, R>, query: string): readonly R[] {
  const all = useMemo(() => Array.from(rows.values()), [rows])
  return useMemo(() => {
    const wanted = query.trim()
    if (!wanted) return all
    const pattern = new RegExp(escape(wanted), 'i')
    const exact = wanted.toUpperCase()
    const found: R[] = []
    for (const row of all) {
      if (!pattern.test(row.tag)) continue
      if (row.tag.toUpperCase() === exact) found.unshift(row)
      else found.push(row)
    }
    return found
  }, [all, query])
}
