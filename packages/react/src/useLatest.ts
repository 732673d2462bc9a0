import { useInsertionEffect, useRef } from 'react'

/**
 * A ref that always holds the latest value, so a handler passed inline (a new function every render) is called in
 * its newest version without being part of any subscription's identity: no resubscribe, no stale closure.
 * Updated in an insertion effect: after a render commits, before any event of the new tree can fire, and never on
 * the server.
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value)
  useInsertionEffect(() => {
    ref.current = value
  })
  return ref
}
