import { memo } from 'react'
import type { LiveTableOptions } from '@supasync/polling'
import { useLiveTable } from '@supasync/react'
import { displayName } from '../devSignIn'
import { MilestoneChip } from '../MilestoneChip'
import type { Component } from '../model'
import { clockTime } from '../relativeTime'
import { SearchBox } from '../SearchBox'
import { useTagSearch } from '../useTagSearch'
import { VirtualList } from '../VirtualList'

const PmRow = memo(function PmRow({ row }: { row: Component }) {
  return (
    <div className="row pm-row" data-testid="component" data-id={row.id} data-tag={row.tag} data-milestone={row.milestone}>
      <span className="row-tag">{row.tag}</span>
      <span className="row-kind">{row.kind.replace('_', ' ')}</span>
      <MilestoneChip milestone={row.milestone} />
      <span className={`row-status status-${row.status ?? 'none'}`}>{row.status?.replace('_', ' ') ?? ''}</span>
      <span className="row-updated">
        {displayName(row.updated_by)} · {clockTime(row.updated_at)}
      </span>
    </div>
  )
})

/** Every component of the project as the server has it now (no optimistic values here), searchable by tag. */
export function ComponentTable({ table, query, onQuery }: { table: LiveTableOptions<Component>; query: string; onQuery: (query: string) => void }) {
  const { rows, loading, error } = useLiveTable(table)
  const found = useTagSearch(rows, query)
  return (
    <section className="panel components" aria-label="Components">
      <SearchBox value={query} onChange={onQuery} matches={found.length} total={rows.size} />
      <div className="row pm-row pm-head" aria-hidden="true">
        <span>Tag</span>
        <span>Kind</span>
        <span>Milestone</span>
        <span>Status</span>
        <span>Last change</span>
      </div>
      {error && rows.size === 0 && <p className="error">{error.message}</p>}
      {loading && rows.size === 0 ? (
        <p className="muted loading">Loading components…</p>
      ) : found.length === 0 ? (
        <p className="muted loading">{query ? `No tag contains “${query}”.` : 'No components you can see here (members only).'}</p>
      ) : (
        <VirtualList className="pm-list" label="Components" count={found.length} rowHeight={44} renderRow={(index) => <PmRow row={found[index]!} />} />
      )}
    </section>
  )
}
