import { useCallback, useMemo, useState, useSyncExternalStore } from 'react'
import { useLiveTable } from '@supasync/react'
import { FreshnessBadge } from '../FreshnessBadge'
import { Header } from '../Header'
import { SearchBox } from '../SearchBox'
import { VirtualList } from '../VirtualList'
import { componentsTable, type Component } from '../model'
import { nextMilestone } from '../milestones'
import type { Session } from '../session'
import { useProjectName } from '../useProjectName'
import { useTagSearch } from '../useTagSearch'
import { ForemanRow } from './ForemanRow'
import { optimisticFor } from './optimistic'
import { RefusedWrites } from './RefusedWrites'
import { useAdvance } from './useAdvance'
import { useSettleOptimistic } from './useSettleOptimistic'
import { WorkNotSaved } from './WorkNotSaved'

const BULK = 50

/** The foreman's phone: find a component by tag, advance it, or select 50 and advance them at once; works offline. */
export function ForemanView({ session, projectId }: { session: Session; projectId: number }) {
  const table = useMemo(() => componentsTable(projectId), [projectId])
  const { rows, loading, error, refresh, freshness } = useLiveTable(table)
  const optimistic = optimisticFor(session.user)
  const overlay = useSyncExternalStore(optimistic.subscribe, optimistic.get, optimistic.get)
  useSettleOptimistic(optimistic, overlay, rows, refresh, freshness.mode)
  const { advance, error: advanceError, dismissError } = useAdvance(session.userId, optimistic)
  const projectName = useProjectName(session.supabase, projectId)

  const [query, setQuery] = useState('')
  const found = useTagSearch(rows, query)
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())

  const shown = useCallback((row: Component) => overlay.get(row.id) ?? row.milestone, [overlay])
  const advanceOne = useCallback((row: Component, milestone: string) => void advance([{ row, milestone }]), [advance])
  const toggle = useCallback(
    (id: string) =>
      setSelected((current) => {
        const next = new Set(current)
        if (!next.delete(id)) next.add(id)
        return next
      }),
    [],
  )
  const selectFirst = () => {
    const ids = new Set<string>()
    for (const row of found) {
      if (ids.size === BULK) break
      if (nextMilestone(shown(row))) ids.add(row.id)
    }
    setSelected(ids)
  }
  const advanceSelected = () => {
    const picked = [...selected].flatMap((id) => {
      const row = rows.get(id)
      return row ? [{ row, milestone: shown(row) }] : []
    })
    setSelected(new Set())
    void advance(picked)
  }

  return (
    <div className="screen foreman">
      <Header title={projectName} subtitle="Foreman" user={session.user}>
        <FreshnessBadge table={table} />
      </Header>
      <WorkNotSaved />
      <RefusedWrites />
      {advanceError && (
        <div className="banner banner-error" role="alert">
          <span>Not queued: {advanceError}</span>
          <button type="button" onClick={dismissError}>
            OK
          </button>
        </div>
      )}
      <div className="foreman-tools">
        <SearchBox value={query} onChange={setQuery} matches={found.length} total={rows.size} />
        <div className="toolbar">
          <button type="button" data-testid="select-50" onClick={selectFirst} disabled={found.length === 0}>
            Select {BULK}
          </button>
          <button type="button" className="primary" data-testid="advance-selected" onClick={advanceSelected} disabled={selected.size === 0}>
            Advance selected ({selected.size})
          </button>
          {selected.size > 0 && (
            <button type="button" className="link" onClick={() => setSelected(new Set())}>
              Clear
            </button>
          )}
        </div>
      </div>
      {error && rows.size === 0 && <p className="error">{error.message}</p>}
      {loading && rows.size === 0 ? (
        <p className="muted loading">Loading components…</p>
      ) : found.length === 0 ? (
        <p className="muted loading">{query ? `No tag contains “${query}”.` : `No components ${session.user} can see in project ${projectId} (members only).`}</p>
      ) : (
        <VirtualList
          className="foreman-list"
          label="Components"
          count={found.length}
          rowHeight={60}
          renderRow={(index) => {
            const row = found[index]!
            return <ForemanRow row={row} milestone={shown(row)} unsaved={overlay.has(row.id)} selected={selected.has(row.id)} onAdvance={advanceOne} onToggle={toggle} />
          }}
        />
      )}
    </div>
  )
}
