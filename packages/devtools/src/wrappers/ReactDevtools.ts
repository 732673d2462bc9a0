import { createElement, useEffect, useRef, useState, type ReactElement } from 'react'
import type { DevtoolsPosition } from '../options.js'
import type { DevtoolsSourceProps } from './pickSource.js'

/** Props of `<SupasyncDevtools />` (React). */
export interface SupasyncDevtoolsProps extends DevtoolsSourceProps {
  /** Open the panel when it mounts; otherwise only its toggle button shows. Default false. */
  initialIsOpen?: boolean
  /** Where the panel sits: a corner of the viewport, or 'inline' where the component is. Default 'bottom-right'. */
  position?: DevtoolsPosition
}

const WHERE = '<SupasyncDevtools sync={…}>'

/**
 * The panel as a React component, in every environment: it renders an empty host `<div>` and, in an effect, loads
 * the panel (a dynamic import, so the app's first bundle does not carry it) and mounts it there. Unmounting, or a
 * new `sync`/`source`/`position`, unmounts the panel and releases everything it held. Wrong props, or a failure to
 * load or mount, are thrown from the next render, to the nearest error boundary: props are checked by the loaded
 * chunk, so that this component imports nothing at run time that a production build would have to drop.
 */
export function ReactDevtools(props: SupasyncDevtoolsProps): ReactElement {
  const host = useRef<HTMLDivElement>(null)
  const [failure, setFailure] = useState<{ error: unknown }>()
  const { sync, source, initialIsOpen, position } = props
  // initialIsOpen is read when the panel mounts; changing it later does not reopen or close the panel.
  const initial = useRef(initialIsOpen)
  useEffect(() => {
    let cancelled = false
    let unmount: (() => void) | undefined
    import('../lazyPanel.js')
      .then(({ mountDevtools, pickSource }) => {
        // StrictMode's first effect, or an unmount while the chunk was loading: nothing to mount.
        if (cancelled || !host.current) return
        unmount = mountDevtools(host.current, pickSource({ sync, source }, WHERE), { initialIsOpen: initial.current ?? false, position })
      })
      .catch((error: unknown) => {
        if (!cancelled) setFailure({ error })
      })
    return () => {
      cancelled = true
      unmount?.()
    }
  }, [sync, source, position])
  if (failure) throw failure.error
  return createElement('div', { ref: host, 'data-supasync-devtools': '' })
}
