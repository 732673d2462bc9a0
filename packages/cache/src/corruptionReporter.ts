import { CacheCorruptEntryError } from './errors'

/** Default of the adapters' `onError`: a warning, since a corrupt record costs a miss, not data the app needs. */
const warn = (error: CacheCorruptEntryError): void => console.warn(`[supasync] ${error.message}`)

/**
 * Reports each undecodable stored key once per cache instance (a read loop over a corrupt key must not flood the
 * app's error hook). Returns the function the adapter calls on every undecodable record.
 */
export function corruptionReporter(
  adapter: string,
  onError: ((error: CacheCorruptEntryError) => void) | undefined,
): (storageKey: string, cause?: unknown) => void {
  const reported = new Set<string>()
  const hook = onError ?? warn
  return (storageKey, cause) => {
    if (reported.has(storageKey)) return
    reported.add(storageKey)
    try {
      hook(new CacheCorruptEntryError(adapter, storageKey, cause === undefined ? undefined : { cause }))
    } catch {
      // A throwing hook must not turn a miss into a failed read.
    }
  }
}
