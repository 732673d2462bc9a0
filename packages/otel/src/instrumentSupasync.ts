import type { Supasync } from '@supasync/core'
import { createInstruments } from './instruments.js'
import { resolveOptions, type InstrumentSupasyncOptions } from './options.js'
import { recordEvent } from './recordEvent.js'

/** What `instrumentSupasync` needs of a supasync instance: its event stream. */
export type InstrumentedSync = Pick<Supasync, 'onEvent'>

/**
 * Records the events of `sync` (and of the live tables, queues and presence rooms built on it) as OpenTelemetry
 * metrics through `@opentelemetry/api`: counters and histograms, with low-cardinality attributes (see the README's
 * table). Without an SDK registered the API's no-op meter records nothing. Returns the unsubscribe: call it before
 * `sync.destroy()` or when monitoring should stop; it releases the listener, and calling it twice is harmless.
 */
export function instrumentSupasync(sync: InstrumentedSync, options?: InstrumentSupasyncOptions): () => void {
  if (typeof (sync as Partial<InstrumentedSync> | undefined)?.onEvent !== 'function') {
    throw new TypeError('instrumentSupasync(sync): sync must be a supasync instance (createSupasync(supabase)), something with onEvent(listener).')
  }
  const resolved = resolveOptions(options)
  const instruments = createInstruments(resolved.meter, resolved.prefix, resolved.durationUnit)
  const off = sync.onEvent((event) => recordEvent(event, instruments, resolved))
  let subscribed = true
  return () => {
    if (!subscribed) return
    subscribed = false
    off()
  }
}
