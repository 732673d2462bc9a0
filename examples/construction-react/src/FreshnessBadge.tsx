import type { Freshness, LiveTableOptions } from '@supasync/polling'
import { useLiveTable } from '@supasync/react'
import { ago } from './relativeTime'

const NOTHING = () => null

export function freshnessLabel({ mode, lastSyncedAt, stalenessMs }: Freshness): string {
  switch (mode) {
    case 'realtime':
      return 'live'
    case 'polling':
      return 'live (polling)'
    case 'catching-up':
      return 'syncing…'
    case 'offline':
      return lastSyncedAt === undefined ? 'offline — no data yet' : `offline — data from ${ago(stalenessMs)}`
  }
}

/**
 * How fresh a live table is. Shares the table of the screen (equal options); selects no rows, so it re-renders only
 * for the freshness, every second (`staleness: true`) for the "data from 2 min ago" label.
 */
export function FreshnessBadge<R extends object>({ table }: { table: LiveTableOptions<R> }) {
  const { freshness } = useLiveTable(table, { select: NOTHING, staleness: true })
  const detail = [
    freshness.lastSyncedAt === undefined ? 'not synced yet' : `everything committed before ${new Date(freshness.lastSyncedAt).toLocaleTimeString()} is shown`,
    freshness.error ? `last error: ${freshness.error.message}` : undefined,
  ]
    .filter(Boolean)
    .join('\n')
  return (
    <span className={`freshness freshness-${freshness.mode}`} data-testid="freshness" data-mode={freshness.mode} title={detail}>
      <span className="freshness-dot" aria-hidden="true" />
      {freshnessLabel(freshness)}
    </span>
  )
}
