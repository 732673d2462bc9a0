import { defineComponent, h, onBeforeUnmount, onMounted, ref, shallowRef, watch, type PropType } from 'vue'
import type { InspectSource } from '@supasync/core'
import type { DevtoolsPosition } from '../options.js'

const WHERE = '<SupasyncDevtools :sync="…">'

/** Props of `<SupasyncDevtools />` (Vue); the same names and defaults as the React component's. */
export const supasyncDevtoolsProps = {
  /** The instance from `createSupasync(supabase)`, whose `inspect()` the panel draws. Give this or `source`. */
  sync: { type: Object as PropType<InspectSource>, default: undefined },
  /** Any `InspectSource` instead of `sync` (a fake in tests, a bridge to another process). */
  source: { type: Object as PropType<InspectSource>, default: undefined },
  /** Open the panel when it mounts; otherwise only its toggle button shows. Default false. */
  initialIsOpen: { type: Boolean, default: false },
  /**
   * Where the panel sits: a corner of the viewport, or 'inline' where the component is. Default 'bottom-right'.
   * (Checked by the panel when it mounts, like the other props.)
   */
  position: { type: String as PropType<DevtoolsPosition>, default: 'bottom-right' },
} as const

/**
 * The panel as a Vue component, in every environment: it renders an empty host `<div>` and, once mounted, loads the
 * panel (a dynamic import, so the app's first bundle does not carry it) and mounts it there. Unmounting, or a new
 * `sync`/`source`/`position`, unmounts the panel and releases everything it held. Wrong props, or a failure to load
 * or mount, are thrown from the next render, to `onErrorCaptured` / `app.config.errorHandler`: props are checked by
 * the loaded chunk, so that this component imports nothing at run time that a production build would have to drop.
 */
export const VueDevtools = /* @__PURE__ */ defineComponent({
  name: 'SupasyncDevtools',
  props: supasyncDevtoolsProps,
  setup(props) {
    const host = ref<HTMLElement>()
    const failure = shallowRef<{ error: unknown }>()
    let unmount: (() => void) | undefined
    let mounted = false
    /** Bumped on every (re)mount and on unmount: a chunk that arrives for an older one mounts nothing. */
    let generation = 0

    const stop = () => {
      generation++
      unmount?.()
      unmount = undefined
    }
    const start = () => {
      stop()
      const mine = generation
      import('../lazyPanel.js')
        .then(({ mountDevtools, pickSource }) => {
          if (mine !== generation || !host.value) return
          // initialIsOpen is read when the panel mounts; changing it later does not reopen or close the panel.
          unmount = mountDevtools(host.value, pickSource(props, WHERE), { initialIsOpen: props.initialIsOpen, position: props.position })
        })
        .catch((error: unknown) => {
          if (mine === generation) failure.value = { error }
        })
    }

    watch(
      () => [props.sync, props.source, props.position],
      () => {
        if (mounted) start()
      },
    )
    onMounted(() => {
      mounted = true
      start()
    })
    onBeforeUnmount(() => {
      mounted = false
      stop()
    })
    return () => {
      if (failure.value) throw failure.value.error
      return h('div', { ref: host, 'data-supasync-devtools': '' })
    }
  },
})
