import type { DevtoolsPosition, DevtoolsTab } from './options.js'

/**
 * What the panel remembers between renders (the snapshot is the rest): {@link renderPanel} draws
 * `render(snapshot, state)`, and only user actions change the state.
 */
export interface PanelState {
  /** The panel is open; closed, only the toggle button shows. */
  open: boolean
  tab: DevtoolsTab
  position: DevtoolsPosition
  /** Scroll offset (px) of each tab's body, restored when the body is redrawn or the tab shown again. */
  scroll: Partial<Record<DevtoolsTab, number>>
  /** Dead letters whose Retry or Discard is running, by {@link deadLetterKey}: their buttons are disabled. */
  busy: Set<string>
  /** The dead letter whose Discard waits for confirmation (discarding drops the write for good). */
  confirming: string | undefined
  /** The last action failure per dead letter, by {@link deadLetterKey}, shown beside its buttons. */
  actionErrors: Map<string, string>
}

export function initialPanelState(open: boolean, tab: DevtoolsTab, position: DevtoolsPosition): PanelState {
  return { open, tab, position, scroll: {}, busy: new Set(), confirming: undefined, actionErrors: new Map() }
}

/** One dead letter across queues: queue ids and entry ids are each unique only within their scope. */
export function deadLetterKey(queueId: string, entryId: string): string {
  return JSON.stringify([queueId, entryId])
}

/** What every tab renders with, besides its part of the snapshot. */
export interface RenderContext {
  /** The document the panel lives in (the shadow root's owner), which makes every element. */
  doc: Document
  /** Wall clock now, epoch ms (the ports' clock), for ages. */
  now: number
  state: PanelState
  /** The source has dead-letter actions (`inspectActions`): Retry / Discard are offered. */
  canAct: boolean
}
