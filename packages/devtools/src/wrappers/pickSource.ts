import { SupasyncError, type InspectSource } from '@supasync/core'
import { checkInspectSource } from '../options.js'

/** What both wrappers take: the supasync instance as `sync`, or any source as `source`. */
export interface DevtoolsSourceProps {
  /** The instance from `createSupasync(supabase)`, whose `inspect()` the panel draws. Give this or `source`. */
  sync?: InspectSource
  /** Any {@link InspectSource} instead of `sync` (a fake in tests, a bridge to another process). */
  source?: InspectSource
}

/**
 * The source a wrapper mounts: `sync` or `source`, checked like `mountDevtools` checks its source. Part of the lazily
 * loaded chunk; the wrappers throw what it throws from their next render (to an error boundary / Vue's handler).
 */
export function pickSource(props: DevtoolsSourceProps, where: string): InspectSource {
  if (props.sync !== undefined && props.source !== undefined && props.sync !== props.source) {
    throw new SupasyncError('INVALID_OPTIONS', `${where}: give either sync or source, not both.`)
  }
  const source = props.sync ?? props.source
  checkInspectSource(source, where)
  return source
}
