import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react'
import { SupasyncError, type Supasync } from '@supasync/core'
import type { Queue } from '@supasync/queue'

/** What {@link SupasyncProvider} hands to the hooks. */
export interface SupasyncContextValue {
  sync: Supasync
  /** The offline write queue, if the provider was given one. */
  queue: Queue | undefined
}

const SupasyncContext = createContext<SupasyncContextValue | null>(null)
SupasyncContext.displayName = 'SupasyncContext'

/** Props of {@link SupasyncProvider}. */
export interface SupasyncProviderProps {
  /** The instance from `createSupasync(supabase)`, created once for the app (outside components, or in a ref). */
  sync: Supasync
  /** The offline write queue from `createQueue(…)` for `useQueue` and `useQueueStatus`. Default none. */
  queue?: Queue
  children?: ReactNode
}

/**
 * Gives every hook below it the supasync instance (and the queue). It opens nothing itself: channels are joined
 * by the hooks, in effects, so rendering on the server connects nothing. Destroying the instance stays with the
 * app (`sync.destroy()`), which may outlive the tree.
 *
 * ```tsx
 * const sync = createSupasync(supabase)
 * root.render(<SupasyncProvider sync={sync} queue={queue}><App /></SupasyncProvider>)
 * ```
 */
export function SupasyncProvider({ sync, queue, children }: SupasyncProviderProps) {
  if (!sync || typeof sync.channel !== 'function' || typeof sync.changes !== 'function') {
    throw new SupasyncError('INVALID_OPTIONS', '<SupasyncProvider sync={…}>: sync must be the instance from createSupasync(supabase).')
  }
  const value = useMemo<SupasyncContextValue>(() => ({ sync, queue }), [sync, queue])
  return createElement(SupasyncContext.Provider, { value }, children)
}

/**
 * The supasync instance and queue of the nearest {@link SupasyncProvider}. Throws when there is none, saying how to
 * add it.
 */
export function useSupasync(): SupasyncContextValue {
  const value = useContext(SupasyncContext)
  if (!value) {
    throw new SupasyncError(
      'INVALID_OPTIONS',
      'No supasync instance here: wrap the app in <SupasyncProvider sync={createSupasync(supabase)}> (from @supasync/react) above the components that use supasync hooks.',
    )
  }
  return value
}
