import { SupasyncError, type InspectSource } from '@supasync/core'
import { defaultDevtoolsPorts, type DevtoolsPorts } from './ports.js'

/** The panel's tabs, in the order they are shown. */
export const DEVTOOLS_TABS = ['connection', 'channels', 'liveTables', 'queue', 'presence'] as const

/** A tab of the panel: 'connection', 'channels', 'liveTables', 'queue' or 'presence'. */
export type DevtoolsTab = (typeof DEVTOOLS_TABS)[number]

/** Where the panel sits: a corner of the viewport (fixed), or 'inline' in the element's own place in the page. */
export const DEVTOOLS_POSITIONS = ['bottom-right', 'bottom-left', 'top-right', 'top-left', 'inline'] as const

/** See {@link DEVTOOLS_POSITIONS}. */
export type DevtoolsPosition = (typeof DEVTOOLS_POSITIONS)[number]

/** Options of `mountDevtools(element, source, options)`. */
export interface MountDevtoolsOptions {
  /** Open the panel at once; otherwise only its toggle button shows until clicked. Default false. */
  initialIsOpen?: boolean
  /** The tab shown first. Default 'connection'. */
  initialTab?: DevtoolsTab
  /** Where the panel sits. Default 'bottom-right'. */
  position?: DevtoolsPosition
  /**
   * While the panel is open it redraws every this many ms, so ages ("12 s ago") and staleness keep counting on a
   * quiet instance that sends no new snapshot; 0 turns it off. Default 1000 (ms).
   */
  refreshMs?: number
  /** Clock, frames and timer; tests pass fakes. Default `defaultDevtoolsPorts()` (each missing one from there too). */
  ports?: Partial<DevtoolsPorts>
}

/** Options with every default applied. */
export interface ResolvedDevtoolsOptions {
  initialIsOpen: boolean
  initialTab: DevtoolsTab
  position: DevtoolsPosition
  refreshMs: number
  ports: DevtoolsPorts
}

const invalid = (message: string) => new SupasyncError('INVALID_OPTIONS', message)

const list = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ')

/** Checks the options and applies the defaults; throws an INVALID_OPTIONS SupasyncError that names the fix. */
export function resolveDevtoolsOptions(options: MountDevtoolsOptions | undefined, where: string): ResolvedDevtoolsOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw invalid(`${where}: options must be an object such as { position: 'bottom-left' }, or left out.`)
  }
  const { initialIsOpen = false, initialTab = 'connection', position = 'bottom-right', refreshMs = 1000, ports = {} } = options ?? {}
  if (typeof initialIsOpen !== 'boolean') throw invalid(`${where}: initialIsOpen must be true or false, got ${JSON.stringify(initialIsOpen)}.`)
  if (!(DEVTOOLS_TABS as readonly unknown[]).includes(initialTab)) {
    throw invalid(`${where}: initialTab ${JSON.stringify(initialTab)} is not a tab; use one of ${list(DEVTOOLS_TABS)}.`)
  }
  if (!(DEVTOOLS_POSITIONS as readonly unknown[]).includes(position)) {
    throw invalid(`${where}: position ${JSON.stringify(position)} is not supported; use one of ${list(DEVTOOLS_POSITIONS)}.`)
  }
  if (typeof refreshMs !== 'number' || !Number.isFinite(refreshMs) || refreshMs < 0) {
    throw invalid(`${where}: refreshMs must be a number of ms ≥ 0 (0 turns the redraw off), got ${JSON.stringify(refreshMs)}.`)
  }
  const defaults = defaultDevtoolsPorts()
  return {
    initialIsOpen,
    initialTab,
    position,
    refreshMs,
    ports: { now: ports.now ?? defaults.now, requestFrame: ports.requestFrame ?? defaults.requestFrame, every: ports.every ?? defaults.every },
  }
}

/**
 * Checks that `source` can feed the panel: `inspect()` and `subscribeInspect(fn)`, and, when present, both dead-letter
 * actions. Throws an INVALID_OPTIONS SupasyncError that says what to pass instead.
 */
export function checkInspectSource(source: unknown, where: string): asserts source is InspectSource {
  const candidate = source as Partial<InspectSource> | null | undefined
  if (!candidate || (typeof candidate !== 'object' && typeof candidate !== 'function')) {
    throw invalid(`${where}: expected the supasync instance (createSupasync(supabase)) or an object with inspect() and subscribeInspect(listener), got ${candidate === null ? 'null' : typeof candidate}.`)
  }
  if (typeof candidate.inspect !== 'function' || typeof candidate.subscribeInspect !== 'function') {
    throw invalid(
      `${where}: the source has no inspect() / subscribeInspect(listener). Pass the instance from createSupasync(supabase) ` +
        '(a @supasync/core with sync.inspect(), issue #17), or an object with both methods (InspectSource).',
    )
  }
  const actions = candidate.inspectActions
  if (actions !== undefined && (typeof actions?.retryDeadLetter !== 'function' || typeof actions.discardDeadLetter !== 'function')) {
    throw invalid(`${where}: inspectActions must have retryDeadLetter(queueId, entryId) and discardDeadLetter(queueId, entryId), or be left out.`)
  }
}
