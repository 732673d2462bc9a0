/**
 * The one pattern every composable shares: watch a *key* derived from a reactive argument, acquire a lease from a
 * core package for each new key, bind its stores into shallowRefs, and release it when the key changes or the
 * scope is disposed. Internal: not exported from the package.
 */
import { getCurrentInstance, getCurrentScope, hasInjectionContext, inject, onMounted, ssrContextKey, toRaw, watch } from 'vue'
import type { ReadableStore, SupasyncError } from '@supasync/core'
import type { SupasyncContext } from './SupasyncPlugin.js'
import { resolveSupasync, usageError, type SupasyncInstance } from './useSupasync.js'

/** Where a composable runs: its instance, and whether it may open anything yet. */
export interface ScopeContext extends SupasyncContext {
  /** Rendering on the server (`renderToString`): nothing is acquired, results keep their initial values. */
  server: boolean
  /**
   * Setup of a component whose server-rendered markup is being hydrated: acquisition waits for `onMounted`, so the
   * first client render shows the same initial values the server rendered (no hydration mismatch).
   */
  hydrating: boolean
}

/**
 * Resolves the instance (see {@link useSupasync}) and checks there is an effect scope to release into: a
 * composable that holds a lease outside any scope could never give it back.
 */
export function useClientScope(caller: string, instance: SupasyncInstance | undefined): ScopeContext {
  const context = resolveSupasync(instance, caller)
  if (!getCurrentScope()) {
    throw usageError(`${caller}() needs an effect scope to release what it holds: call it inside setup() before any await, or inside effectScope().run() and stop() that scope when done.`)
  }
  // renderToString provides the SSR context on the app; inject with a default never warns on the client.
  const server = hasInjectionContext() && inject(ssrContextKey, null) != null
  // While hydrating, Vue assigns the existing DOM node to the component's vnode before running its setup; in a
  // client render the element is only created after setup. (Vue has no public "is hydrating" flag.) A vnode reused
  // from an earlier mount also carries its old element: such a component merely acquires on mount too.
  const hydrating = !server && getCurrentInstance()?.vnode.el != null
  return { ...context, server, hydrating }
}

/** Runs `start` now on the client, after mount when hydrating, never on the server. */
export function whenClient(context: ScopeContext, start: () => void): void {
  if (context.server) return
  if (context.hydrating) onMounted(start)
  else start()
}

/**
 * Watches `key(source())` — a string, not the object — so an equal object recreated by a template or a getter keeps
 * the lease, and a real change switches it: `open(value)` runs for each new key (with `null` when the source is
 * null or undefined: disabled) and returns what releases it; that runs before the next `open` and when the scope is
 * disposed. Returns a getter of the latest source value (updated whenever the source re-evaluates, even when the
 * key stays), for latest-reference handlers such as `onChange`.
 */
export function watchKeyed<V>(
  context: ScopeContext,
  source: () => V | null | undefined,
  key: (value: V) => string,
  open: (value: V | null) => (() => void) | void,
): () => V | null {
  let latest: V | null = null
  whenClient(context, () => {
    watch(
      () => {
        const value = source()
        latest = value ?? null
        return value == null ? null : key(value)
      },
      (_key, _previous, onCleanup) => {
        // The lease gets the plain object: a reactive proxy handed to core would track reads in whatever effect
        // happens to run when core reads it.
        const close = open(latest === null ? null : (toRaw(latest) as V))
        if (close) onCleanup(close)
      },
      { immediate: true },
    )
  })
  return () => latest
}

/** Calls `set` with the store's value now and on every change; returns the unsubscribe. */
export function bindStore<T>(store: ReadableStore<T>, set: (value: T) => void): () => void {
  set(store.get())
  return store.subscribe(set)
}

/** The error of a method called while its composable holds nothing (disabled by `null`, or on the server). */
export function notHeld(caller: string, method: string): SupasyncError {
  return usageError(`${caller}().${method}(): nothing is open (disabled by null, on the server, or hydrating before mount).`)
}
