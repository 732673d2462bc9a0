// @vitest-environment happy-dom
/**
 * Hydration: the first client render shows the values the server rendered (no mismatch), and the composables
 * acquire after mount; afterwards they follow the live stores.
 */
import { describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, nextTick } from 'vue'
import { renderToString } from 'vue/server-renderer'
import type { Supasync } from '@supasync/core'
import { SupasyncPlugin, useChannel, useConnectionStatus, usePresence } from '../src/index.js'
import { fakeWorld, flush } from './helpers.js'

/** Set by the client: how many room holders exist when a component after App runs its setup (still hydrating). */
let holdersAfterSetup: number | undefined
let sync: Supasync | undefined
const After = defineComponent({
  setup() {
    if (sync) holdersAfterSetup = sync.diagnostics().roomHolders
    return () => h('span', 'after')
  },
})

const Inner = defineComponent({
  setup() {
    const status = useConnectionStatus((value) => value.state)
    // Presence first: the room it opens carries its presence key, and useChannel without options joins it as it is.
    const presence = usePresence('wedding:1', { key: 'me' })
    const room = useChannel('wedding:1')
    return () => h('p', `${status.value}|${room.status.value}|${presence.members.value.length}`)
  },
})

const App = defineComponent({ setup: () => () => h('div', [h(Inner), h(After)]) })

describe('hydration', () => {
  it('hydrates server markup without a mismatch, then acquires after mount', async () => {
    const world = fakeWorld()
    const html = await renderToString(createSSRApp(App).use(SupasyncPlugin, { sync: world.sync }))
    expect(html).toBe('<div><p>connecting|joining|0</p><span>after</span></div>')
    // The idle client instance says 'live' (nothing held): a client render would differ from the server's.
    expect(world.sync.status.get().state).toBe('live')
    expect(world.sync.diagnostics()).toEqual(world.baseline)

    const container = document.createElement('div')
    container.innerHTML = html
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    sync = world.sync
    const app = createSSRApp(App).use(SupasyncPlugin, { sync: world.sync })
    app.mount(container)
    try {
      expect(holdersAfterSetup).toBe(0)
      expect([...warn.mock.calls, ...error.mock.calls].map(String).filter((text) => /hydration|mismatch/i.test(text))).toEqual([])
    } finally {
      warn.mockRestore()
      error.mockRestore()
    }
    await flush()
    expect(world.sync.diagnostics().roomHolders).toBe(2) // the room, and presence's own holder of the same topic
    expect(world.realtime.subscribes).toBe(1)
    world.roomChannels()[0]!.joined()
    await nextTick()
    expect(container.textContent).toMatch(/^(connecting|live|degraded)\|joined\|0after$/)
    app.unmount()
    await world.advance(2 * world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })
})
