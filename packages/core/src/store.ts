/**
 * The store contract every observable thing in supasync follows: `get()` returns the same reference until the
 * value changes, `subscribe(listener)` returns an unsubscribe function. React binds it with
 * useSyncExternalStore, Vue with shallowRef + onScopeDispose.
 */
export interface ReadableStore<T> {
  get(): T
  subscribe(listener: (value: T) => void): () => void
}

/** A store the owner can write to. Handed out to users only as {@link ReadableStore}. */
export interface WritableStore<T> extends ReadableStore<T> {
  set(value: T): void
  /** Number of current subscribers (leak checks). */
  readonly listenerCount: number
}

/** Creates a store; `set` notifies only when `equals` says the value changed. */
export function createStore<T>(initial: T, equals: (a: T, b: T) => boolean = Object.is): WritableStore<T> {
  let value = initial
  const listeners = new Set<(value: T) => void>()
  return {
    get: () => value,
    set(next) {
      if (equals(value, next)) return
      value = next
      for (const listener of [...listeners]) {
        try {
          listener(value)
        } catch (error) {
          // One broken subscriber must not starve the others; surface it asynchronously like an event target would.
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    get listenerCount() {
      return listeners.size
    },
  }
}

/** Shallow equality for flat status objects, so an unchanged snapshot keeps its reference. */
export function shallowEqual<T extends object>(a: T, b: T): boolean {
  if (a === b) return true
  const keysA = Object.keys(a) as (keyof T)[]
  if (keysA.length !== Object.keys(b).length) return false
  return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && Object.is(a[key], b[key]))
}
