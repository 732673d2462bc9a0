import { useQueue, useQueueStatus } from '@supasync/react'

/**
 * "Work not saved (N)" while the queue holds writes the server has not confirmed (N = queued writes; a bulk advance
 * is one). The queue keeps them in IndexedDB, so the banner is back after a reload until they are sent.
 */
export function WorkNotSaved() {
  const { pending, flushing, lastError } = useQueueStatus()
  const { flush } = useQueue()
  if (pending === 0) return null
  const why = flushing ? 'Saving…' : lastError ? `Kept on this device, will retry: ${lastError.message}` : 'Kept on this device until the network is back.'
  return (
    <div className="banner banner-warning" role="status" data-testid="work-not-saved" data-pending={pending}>
      <div>
        <strong>Work not saved ({pending})</strong>
        <span className="banner-detail">{why}</span>
      </div>
      <button type="button" onClick={() => void flush().catch(() => undefined)} disabled={flushing}>
        Retry now
      </button>
    </div>
  )
}
