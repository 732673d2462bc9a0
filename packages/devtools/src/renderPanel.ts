import type { InspectSnapshot } from '@supasync/core'
import { h, type Child } from './h.js'
import { DEVTOOLS_TABS, type DevtoolsTab } from './options.js'
import type { PanelState, RenderContext } from './PanelState.js'
import { channelsTab } from './tabs/channelsTab.js'
import { CONNECTION_TONE, connectionTab } from './tabs/connectionTab.js'
import { liveTablesTab, worstStaleness } from './tabs/liveTablesTab.js'
import { presenceTab } from './tabs/presenceTab.js'
import { queueTab } from './tabs/queueTab.js'

/** The snapshot format this panel draws (`InspectSnapshot.version`). */
const SNAPSHOT_VERSION: InspectSnapshot['version'] = 1

/** The attribute on the panel's root element; also what the production-build test looks for in bundles. */
export const PANEL_ATTRIBUTE = 'data-supasync-devtools-panel'

const TAB_LABELS: Readonly<Record<DevtoolsTab, string>> = {
  connection: 'Connection',
  channels: 'Channels',
  liveTables: 'Live tables',
  queue: 'Queue',
  presence: 'Presence',
}

const TAB_CONTENT: Readonly<Record<DevtoolsTab, (snapshot: InspectSnapshot, context: RenderContext) => HTMLElement>> = {
  connection: connectionTab,
  channels: channelsTab,
  liveTables: liveTablesTab,
  queue: queueTab,
  presence: presenceTab,
}

/** Dead letters over every queue: the number the Queue tab and the toggle button flag. */
function deadLetters(snapshot: InspectSnapshot): number {
  let count = 0
  for (const queue of snapshot.queues ?? []) count += queue.deadLetters?.length ?? 0
  return count
}

/** The count beside a tab's label, coloured when something there needs a look. */
function tabCount(snapshot: InspectSnapshot, tab: DevtoolsTab, now: number): [string, string] | undefined {
  switch (tab) {
    case 'channels':
      return [String(snapshot.channels?.length ?? 0), 'count']
    case 'liveTables': {
      const worst = worstStaleness(snapshot, now)
      return [String(snapshot.liveTables?.length ?? 0), worst === 'ok' ? 'count' : `count count-${worst}`]
    }
    case 'queue': {
      const dead = deadLetters(snapshot)
      const pending = (snapshot.queues ?? []).reduce((sum, queue) => sum + queue.pending, 0)
      return dead > 0 ? [`${dead} failed`, 'count count-bad'] : [String(pending), pending > 0 ? 'count count-warn' : 'count']
    }
    case 'presence':
      return [String(snapshot.presence?.length ?? 0), 'count']
    default:
      return undefined
  }
}

function tabList(snapshot: InspectSnapshot, context: RenderContext): HTMLElement {
  const { doc, state, now } = context
  return h(
    doc,
    'nav',
    { role: 'tablist', 'aria-label': 'supasync devtools' },
    DEVTOOLS_TABS.map((tab) => {
      const count = tabCount(snapshot, tab, now)
      const selected = tab === state.tab
      return h(
        doc,
        'button',
        { type: 'button', role: 'tab', id: `ssd-tab-${tab}`, 'aria-selected': String(selected), 'aria-controls': 'ssd-body', 'data-action': 'tab', 'data-tab': tab, 'data-key': `tab:${tab}` },
        TAB_LABELS[tab],
        count ? h(doc, 'span', { class: count[1] }, count[0]) : null,
      )
    }),
  )
}

/** The closed panel: a button with the connection's colour and, when something failed, how many things did. */
function toggleButton(snapshot: InspectSnapshot, context: RenderContext): HTMLElement {
  const { doc, now } = context
  const state = snapshot.connection.state
  const problems = deadLetters(snapshot)
  const stale = worstStaleness(snapshot, now)
  return h(
    doc,
    'button',
    { type: 'button', class: 'toggle', 'data-action': 'open', 'data-key': 'open', 'aria-expanded': 'false', title: `Open supasync devtools (connection ${state})` },
    h(doc, 'span', { class: `dot dot-${CONNECTION_TONE[state] ?? 'muted'}` }),
    'supasync',
    problems > 0 ? h(doc, 'span', { class: 'count count-bad' }, `${problems} failed`) : null,
    stale !== 'ok' ? h(doc, 'span', { class: `count count-${stale}` }, stale === 'over' ? 'stale' : 'slow') : null,
  )
}

/**
 * The whole panel for one snapshot and state: a pure function (it reads nothing else and changes nothing), so
 * tests render it from handcrafted snapshots. `mountDevtools` swaps its result into the shadow root.
 */
export function renderPanel(snapshot: InspectSnapshot, context: RenderContext): HTMLElement {
  const { doc, state } = context
  const root = h(doc, 'div', { class: `ssd pos-${state.position}`, [PANEL_ATTRIBUTE]: '', 'data-open': String(state.open) })
  if (!state.open) {
    root.append(toggleButton(snapshot, context))
    return root
  }
  root.append(
    h(
      doc,
      'section',
      { class: 'panel', 'aria-label': 'supasync devtools' },
      h(
        doc,
        'header',
        null,
        h(doc, 'span', { class: 'title' }, 'supasync devtools'),
        h(doc, 'span', { class: `pill pill-${CONNECTION_TONE[snapshot.connection.state] ?? 'muted'}` }, snapshot.connection.state),
        h(doc, 'button', { type: 'button', class: 'close', 'data-action': 'close', 'data-key': 'close', 'aria-label': 'Close supasync devtools', 'aria-expanded': 'true' }, '×'),
      ),
      tabList(snapshot, context),
      h(
        doc,
        'div',
        { class: 'body', id: 'ssd-body', role: 'tabpanel', 'aria-labelledby': `ssd-tab-${state.tab}`, 'data-body': '' },
        // A core newer than this panel may have changed what a field means: say so rather than mislead quietly.
        snapshot.version === SNAPSHOT_VERSION
          ? null
          : h(doc, 'p', { class: 'text-warn', role: 'status' }, `This panel reads snapshot format ${SNAPSHOT_VERSION}; the source sent format ${String(snapshot.version)}. Update @supasync/devtools to match @supasync/core.`),
        TAB_CONTENT[state.tab](snapshot, context),
      ),
    ),
  )
  return root
}

/** The panel when the source could not give a snapshot: what failed, in place of the tabs. */
export function renderSourceError(error: unknown, state: PanelState, doc: Document): HTMLElement {
  const message: Child = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return h(
    doc,
    'div',
    { class: `ssd pos-${state.position}`, [PANEL_ATTRIBUTE]: '', 'data-open': 'true' },
    h(doc, 'section', { class: 'panel' }, h(doc, 'div', { class: 'body source-error', role: 'alert' }, 'supasync devtools: inspect() threw ', message)),
  )
}
