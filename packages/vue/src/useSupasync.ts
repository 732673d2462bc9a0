import { hasInjectionContext, inject } from 'vue'
import { SupasyncError, type Supasync } from '@supasync/core'
import { isSupasync, supasyncKey, type SupasyncContext } from './SupasyncPlugin.js'

/**
 * An instance given explicitly to a composable instead of the plugin's: the `Supasync` itself, or `{ sync, queue }`.
 * Needed where no app context is reachable (an `effectScope()` of your own, a store created outside any app).
 */
export type SupasyncInstance = Supasync | { sync: Supasync; queue?: SupasyncContext['queue'] }

/** A usage error: what was wrong and how to fix it (code `INVALID_OPTIONS`, as core's option errors). */
export const usageError = (message: string): SupasyncError => new SupasyncError('INVALID_OPTIONS', message)

/**
 * The supasync instance (and queue) composables work with: `explicit` if given, otherwise the one
 * `app.use(SupasyncPlugin, { sync, queue })` provided. Throws a `SupasyncError` (code `INVALID_OPTIONS`) that says
 * how to fix it when called outside `setup()` / an app context without an explicit instance, or when no plugin
 * provided one.
 *
 * ```ts
 * const { sync, queue } = useSupasync()
 * ```
 *
 * @param explicit The instance to use instead of the injected one. Default: the plugin's.
 */
export function useSupasync(explicit?: SupasyncInstance): SupasyncContext {
  return resolveSupasync(explicit, 'useSupasync')
}

/** {@link useSupasync} for the composables: their own name in the errors. Internal. */
export function resolveSupasync(explicit: SupasyncInstance | undefined, caller: string): SupasyncContext {
  if (explicit !== undefined) {
    const context: SupasyncContext = isSupasync(explicit) ? { sync: explicit, queue: undefined } : { sync: explicit.sync, queue: explicit.queue }
    if (!isSupasync(context.sync)) {
      throw usageError(`${caller}(): the instance must be what createSupasync(supabase) returned, or { sync, queue }.`)
    }
    return context
  }
  // Vue can only inject during setup() (before its first await, unless <script setup> restores the context), in a
  // functional component, or inside app.runWithContext(); anywhere else inject() would just warn and return undefined.
  if (!hasInjectionContext()) {
    throw usageError(`${caller}() was called outside setup(): call it inside setup() before any await, or pass the instance: ${caller}(${caller === 'useSupasync' ? '' : '…, '}sync).`)
  }
  const context = inject(supasyncKey, null)
  if (!context) {
    throw usageError(`${caller}(): no supasync instance here. Install the plugin: app.use(SupasyncPlugin, { sync: createSupasync(supabase) }), or pass the instance.`)
  }
  return context
}
