import { useCallback, useState } from 'react'
import { useQueue } from '@supasync/react'
import type { Component } from '../model'
import { nextMilestone } from '../milestones'
import type { OptimisticMilestones } from './optimistic'

/** A row as the foreman sees it: the live row and the milestone shown (the optimistic one while unsaved). */
export interface ShownRow {
  row: Component
  milestone: string
}

/**
 * Advancing milestones through the offline queue. The change shows at once (optimistic overlay), is stored in
 * IndexedDB before `enqueue` resolves, and goes to the server when it can.
 *
 * - one component: `update components set milestone, updated_by where id` (consecutive advances to the same
 *   milestone share one request, `.in('id', …)`);
 * - several: ONE upsert with a row per component (their next milestones differ, so an update cannot carry them),
 *   which the queue sends as one request. An upsert is an INSERT … ON CONFLICT: it carries the NOT NULL columns
 *   (project_id, tag, kind) as the rows hold them.
 */
export function useAdvance(userId: string, optimistic: OptimisticMilestones) {
  const { enqueue } = useQueue()
  const [error, setError] = useState<string | undefined>()

  const advance = useCallback(
    async (shown: readonly ShownRow[]) => {
      const moves = shown.flatMap(({ row, milestone }) => {
        const next = nextMilestone(milestone)
        return next ? [{ row, next }] : []
      })
      if (moves.length === 0) return
      const ids = moves.map(({ row }) => row.id)
      const previous = optimistic.set(moves.map(({ row, next }) => [row.id, next] as const))
      try {
        if (moves.length === 1) {
          const { row, next } = moves[0]!
          await enqueue({ type: 'update', table: 'components', values: { milestone: next, updated_by: userId }, match: { id: row.id } })
        } else {
          await enqueue({
            type: 'upsert',
            table: 'components',
            rows: moves.map(({ row, next }) => ({ id: row.id, project_id: row.project_id, tag: row.tag, kind: row.kind, milestone: next, updated_by: userId })),
          })
        }
        setError(undefined)
      } catch (cause) {
        // Not queued (the queue is full, or the storage refused it): nothing will be sent, so show the truth again.
        optimistic.restore(previous, ids)
        setError(cause instanceof Error ? cause.message : String(cause))
      }
    },
    [enqueue, optimistic, userId],
  )
  return { advance, error, dismissError: () => setError(undefined) }
}
