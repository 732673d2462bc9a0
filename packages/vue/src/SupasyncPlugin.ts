import type { App, InjectionKey } from 'vue'
import { SupasyncError, type Supasync } from '@supasync/core'
import type { Queue } from '@supasync/queue'

/** What {@link SupasyncPlugin} provides to every composable of the app (and what {@link useSupasync} returns). */
export interface SupasyncContext {
  /** The instance from `createSupasync(supabase)`. */
  sync: Supasync
  /** The offline write queue from `createQueue(…)`, if the plugin was given one (`useQueue`, `useQueueStatus`). */
  queue: Queue | undefined
}

/** Options of `app.use(SupasyncPlugin, options)`. */
export interface SupasyncPluginOptions {
  /** The instance from `createSupasync(supabase)`, created once for the app. Required. */
  sync: Supasync
  /** The offline write queue from `createQueue(…)` for `useQueue` / `useQueueStatus`. Default: none. */
  queue?: Queue
  /**
   * Whether `app.unmount()` also destroys `sync` (and `queue`): for an app that owns them (a micro-frontend, a test),
   * so unmounting leaves no socket, timer or listener behind. Default false: the instance usually outlives the app
   * (`sync.destroy()` is then the app's to call).
   */
  destroyOnUnmount?: boolean
}

/**
 * The injection key under which the plugin provides its {@link SupasyncContext}. `provide(supasyncKey, { sync, queue })`
 * in a component gives its subtree another instance (a second project, a test harness).
 */
export const supasyncKey: InjectionKey<SupasyncContext> = Symbol.for('supasync.vue')

/** Whether `value` looks like the instance createSupasync returns (checked by shape: bundles may hold two copies). */
export function isSupasync(value: unknown): value is Supasync {
  const sync = value as Supasync | null | undefined
  return typeof sync?.channel === 'function' && typeof sync.changes === 'function' && typeof sync.status?.get === 'function'
}

/**
 * Registers a callback for `app.unmount()`: `app.onUnmount` exists since Vue 3.5; on 3.3 / 3.4 `unmount` is wrapped.
 * The callback runs after the tree is gone either way (a microtask later on 3.5, whose callbacks run before the tree
 * unmounts), so every component has released its leases before anything is destroyed.
 */
function onAppUnmount(app: App, callback: () => void): void {
  const later = () => void Promise.resolve().then(callback)
  if (typeof app.onUnmount === 'function') return app.onUnmount(later)
  const unmount = app.unmount.bind(app)
  app.unmount = () => {
    unmount()
    later()
  }
}

/**
 * The Vue plugin: `app.use(SupasyncPlugin, { sync, queue })` provides the instance (and the optional queue) to every
 * composable of the app. It opens nothing itself — channels, subscriptions and live tables are opened by the
 * composables on the client only — so the same plugin call is safe in a server entry (`renderToString`), where it
 * only provides. Every composable releases what it holds when its component (or effect scope) is disposed, so
 * `app.unmount()` leaves nothing held; with `destroyOnUnmount` the instance and queue are destroyed too.
 *
 * ```ts
 * const app = createApp(App)
 * app.use(SupasyncPlugin, { sync: createSupasync(supabase), queue })
 * app.mount('#app')
 * ```
 */
// Typed as a plain object plugin rather than Vue's `Plugin<…>`, whose type parameters differ between 3.3, 3.4 and 3.5.
export const SupasyncPlugin: { install(app: App, options: SupasyncPluginOptions): void } = {
  install(app: App, options: SupasyncPluginOptions) {
    if (!isSupasync(options?.sync)) {
      throw new SupasyncError('INVALID_OPTIONS', 'app.use(SupasyncPlugin, { sync }): sync must be what createSupasync(supabase) returned.')
    }
    const { sync, queue, destroyOnUnmount = false } = options
    app.provide(supasyncKey, { sync, queue })
    if (destroyOnUnmount) {
      onAppUnmount(app, () => {
        queue?.destroy()
        void sync.destroy()
      })
    }
  },
}
