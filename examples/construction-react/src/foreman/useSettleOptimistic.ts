import { useEffect } from 'react'
import type { LiveMode } from '@supasync/polling'
import { useQueue, useQueueStatus } from '@supasync/react'
import type { Component } from '../model'
import type { OptimisticMilestones } from './optimistic'

/**
 * Takes optimistic milestones away once they are no longer needed:
 * - at once when the live row shows the same milestone (the write arrived);
 * - when the queue has nothing left to send (and its stored writes are loaded): after a fresh read of the table,
 *   every entry left is dropped, so a write the server refused shows the server's value again (the refusal itself
 *   is listed by RefusedWrites).
 */
export function useSettleOptimistic(
  optimistic: OptimisticMilestones,
  overlay: ReadonlyMap<string, string>,
  rows: ReadonlyMap<string, Component>,
  refresh: () => Promise<void>,
  mode: LiveMode,
) {
  const { queue } = useQueue()
  const { pending } = useQueueStatus()

  useEffect(() => {
    if (overlay.size > 0 && rows.size > 0) optimistic.settle((id) => rows.get(id)?.milestone)
  }, [optimistic, overlay, rows])

  useEffect(() => {
    if (pending > 0 || overlay.size === 0 || mode === 'offline' || mode === 'catching-up') return
    let cancelled = false
    const snapshot = overlay
    void queue.ready
      .then(async () => {
        if (cancelled || queue.status.get().pending > 0) return
        await refresh()
        if (!cancelled && queue.status.get().pending === 0) optimistic.dropSettled(snapshot)
      })
      .catch(() => undefined) // the read failed: try again on the next change of mode or queue
    return () => {
      cancelled = true
    }
  }, [pending, overlay, mode, queue, refresh, optimistic])
}
