import type { InspectLiveMode, InspectLiveTable, InspectSnapshot } from '@supasync/core'
import { formatAge, formatDuration, formatFilter, plural, stalenessAt, stalenessLevel, type StalenessLevel } from '../format.js'
import { empty, h, pill, table, type Tone } from '../h.js'
import type { RenderContext } from '../PanelState.js'

const MODE_TONE: Readonly<Record<InspectLiveMode, Tone>> = {
  realtime: 'good',
  polling: 'busy',
  'catching-up': 'busy',
  offline: 'bad',
}

/** The worst staleness level among the tables at `now` (the tab label and the toggle button show it). */
export function worstStaleness(snapshot: InspectSnapshot, now: number): StalenessLevel {
  let worst: StalenessLevel = 'ok'
  for (const live of snapshot.liveTables ?? []) {
    const level = stalenessLevel(stalenessAt(live.stalenessMs, snapshot.takenAt, now), live.maxStalenessMs)
    if (level === 'over') return 'over'
    if (level === 'warn') worst = 'warn'
  }
  return worst
}

/**
 * Staleness against the budget: a bar filled to the share of the budget used, coloured by level, and the figures.
 * `data-staleness` carries the level for tests and for users' own styles.
 */
function stalenessCell(doc: Document, live: InspectLiveTable, takenAt: number, now: number): HTMLElement {
  const staleness = stalenessAt(live.stalenessMs, takenAt, now)
  const level = stalenessLevel(staleness, live.maxStalenessMs)
  const share = live.maxStalenessMs > 0 ? Math.min(1, staleness / live.maxStalenessMs) : 0
  const bar = h(doc, 'div', { class: 'meter-bar' })
  bar.style.width = `${Math.round(share * 100)}%`
  return h(
    doc,
    'div',
    { class: `staleness staleness-${level}`, 'data-staleness': level, title: `warning from 75 % of the budget; the budget is maxStalenessMs` },
    h(doc, 'div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': live.maxStalenessMs, 'aria-valuenow': Math.round(staleness), 'aria-label': 'staleness' }, bar),
    h(doc, 'div', null, `${formatDuration(staleness)} of ${formatDuration(live.maxStalenessMs)}`, level === 'over' ? ' · over budget' : level === 'warn' ? ' · near budget' : ''),
  )
}

function tableCell(doc: Document, live: InspectLiveTable): HTMLElement[] {
  return [
    h(doc, 'div', { class: 'strong' }, `${live.schema}.${live.table}`),
    h(doc, 'div', { class: 'sub' }, formatFilter(live.filter)),
    h(doc, 'div', { class: 'sub' }, `${live.source === 'broadcast' ? 'broadcast changes' : 'postgres_changes'} · ${plural(live.holders, 'holder')}`),
  ]
}

/** The Live tables tab: mode, staleness against the budget, polls and events realtime missed, per table. */
export function liveTablesTab(snapshot: InspectSnapshot, { doc, now }: RenderContext): HTMLElement {
  const tables = snapshot.liveTables ?? []
  if (tables.length === 0) return h(doc, 'section', { class: 'tab-liveTables' }, empty(doc, 'No live tables: createLiveTable / useLiveTable registers them here.'))
  return h(
    doc,
    'section',
    { class: 'tab-liveTables' },
    table(doc, 'Live tables', ['Table', 'Mode', 'Staleness', 'Last synced', 'Rows', 'Polls', 'Missed by realtime'], tables, (live) => [
      tableCell(doc, live),
      [pill(doc, MODE_TONE[live.mode] ?? 'muted', live.mode), live.error ? h(doc, 'div', { class: 'error' }, `${live.error.code}: ${live.error.message}`) : null],
      stalenessCell(doc, live, snapshot.takenAt, now),
      formatAge(live.lastSyncedAt, now),
      live.rows,
      [String(live.polls), live.failedPolls > 0 ? h(doc, 'div', { class: 'sub text-warn' }, `${live.failedPolls} failed`) : null, h(doc, 'div', { class: 'sub' }, `last ${formatAge(live.lastPollAt, now)}`)],
      h(doc, 'span', { class: live.missedByRealtime > 0 ? 'text-warn' : undefined }, live.missedByRealtime),
    ]),
  )
}
