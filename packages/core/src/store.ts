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

/**
 * A class, not a closure bundle: leases hold one store each, and 10 000 leases must stay under 1 KB apiece
 * (methods live on the prototype; the listener set exists only once someone subscribes).
 */
class Store<T> implements WritableStore<T> {
  private listeners: Set<(value: T) => void> | undefined

  constructor(
    private value: T,
    private readonly equals: (a: T, b: T) => boolean,
  ) {}

  get(): T {
    return this.value
  }

  set(next: T): void {
    if (this.equals(this.value, next)) return
    this.value = next
    if (!this.listeners) return
    for (const listener of [...this.listeners]) {
      try {
        listener(next)
      } catch (error) {
        // One broken subscriber must not starve the others; surface it asynchronously like an event target would.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  subscribe(listener: (value: T) => void): () => void {
    ;(this.listeners ??= new Set()).add(listener)
    return () => {
      this.listeners?.delete(listener)
    }
  }

  get listenerCount(): number {
    return this.listeners?.size ?? 0
  }
}

/** Creates a store; `set` notifies only when `equals` says the value changed. */
export function createStore<T>(initial: T, equals: (a: T, b: T) => boolean = Object.is): WritableStore<T> {
  return new Store(initial, equals)
}

/** Shallow equality for flat status objects, so an unchanged snapshot keeps its reference. */
export function shallowEqual<T extends object>(a: T, b: T): boolean {
  if (a === b) return true
  const keysA = Object.keys(a) as (keyof T)[]
  if (keysA.length !== Object.keys(b).length) return false
  return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && Object.is(a[key], b[key]))
}
