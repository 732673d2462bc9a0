import { hasInjectionContext, inject } from 'vue'
import { SupasyncError, type Supasync } from '@supasync/core'
import { isSupasync, supasyncKey, type SupasyncContext } from './SupasyncPlugin.js'

/**
 * An instance given explicitly to a composable instead of the plugin's: the `Supasync` itself, or `{ sync, queue }`.
 * Needed where no app context is reachable (an `effectScope()` of your own, a store created outside any app).
 */
export type SupasyncInstance = Supasync | { sync: Supasync; queue?: SupasyncContext['queue'] }

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
 * @param caller Name used in error messages. Default `'useSupasync'`.
 */
export function useSupasync(explicit?: SupasyncInstance, caller = 'useSupasync'): SupasyncContext {
  if (explicit !== undefined) {
    const context: SupasyncContext = isSupasync(explicit) ? { sync: explicit, queue: undefined } : { sync: explicit.sync, queue: explicit.queue }
    if (!isSupasync(context.sync)) {
      throw new SupasyncError('INVALID_OPTIONS', `${caller}(…, instance): the instance must be the result of createSupasync(supabase) or { sync, queue }.`)
    }
    return context
  }
  // Vue can only inject during setup() (before its first await, unless <script setup> restores the context), in a
  // functional component, or inside app.runWithContext(); anywhere else inject() would just warn and return undefined.
  if (!hasInjectionContext()) {
    throw new SupasyncError(
      'INVALID_OPTIONS',
      `${caller}() was called outside setup(): call it inside setup() (or <script setup>) before any await, or pass the instance explicitly, e.g. ${caller === 'useSupasync' ? 'useSupasync(sync)' : `${caller}(…, sync)`}.`,
    )
  }
  const context = inject(supasyncKey, null)
  if (!context) {
    throw new SupasyncError(
      'INVALID_OPTIONS',
      `${caller}(): no supasync instance in this app. Install the plugin: app.use(SupasyncPlugin, { sync: createSupasync(supabase) }) (from @supasync/vue), or pass the instance explicitly.`,
    )
  }
  return context
}
