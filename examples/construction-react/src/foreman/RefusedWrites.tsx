import { useMemo, useSyncExternalStore } from 'react'
import { useQueue } from '@supasync/react'

/** Writes the server refused for good (dead letters): the reason, and retry or discard. */
export function RefusedWrites() {
  const { queue, retry, discard } = useQueue()
  const { subscribe, get } = useMemo(() => ({ subscribe: (listener: () => void) => queue.failed.subscribe(listener), get: () => queue.failed.get() }), [queue])
  const failed = useSyncExternalStore(subscribe, get, get)
  if (failed.length === 0) return null
  return (
    <div className="banner banner-error" role="alert" data-testid="refused" data-count={failed.length}>
      <strong>
        {failed.length} change{failed.length === 1 ? '' : 's'} refused by the server
      </strong>
      <ul>
        {failed.map((letter) => (
          <li key={letter.id}>
            <span>
              {letter.description}: {letter.reason.message}
            </span>
            <button type="button" onClick={() => void retry(letter.id).catch(() => undefined)}>
              Retry
            </button>
            <button type="button" onClick={() => void discard(letter.id).catch(() => undefined)}>
              Discard
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}
