// @vitest-environment happy-dom
/**
 * `<SupasyncDevtools />` for Vue: it mounts the lazily loaded panel into its host, follows a new source, releases
 * everything on unmount, reports bad props to Vue's error handler, and renders nothing in production (the
 * /vue/production entry still shows it).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, onErrorCaptured, ref } from 'vue'
import { mount, type VueWrapper } from '@vue/test-utils'
import { SupasyncDevtools } from '../src/vue.js'
import { fakeSource, snapshot } from './fakes.js'
import { until } from './until.js'

const wrappers: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of wrappers.splice(0)) wrapper.unmount()
  vi.unstubAllEnvs()
})

/** Mounts `component`; errors thrown after the mount go to `errors` when given (Vue logs them otherwise). */
function mounted(component: unknown, props: Record<string, unknown>, errors?: unknown[]): VueWrapper {
  const wrapper = mount(component as never, { props: props as never, global: errors ? { config: { errorHandler: (error: unknown) => void errors.push(error) } } : {} })
  wrappers.push(wrapper)
  return wrapper
}

const panelIn = (wrapper: VueWrapper) => wrapper.element.shadowRoot?.querySelector('[data-supasync-devtools-panel]') ?? null

describe('<SupasyncDevtools /> (Vue)', () => {
  it('renders an empty host, then mounts the panel there once it has loaded; unmount releases it', async () => {
    const source = fakeSource()
    const wrapper = mounted(SupasyncDevtools, { source, initialIsOpen: true, position: 'inline' })
    expect(wrapper.element.getAttribute('data-supasync-devtools')).toBe('')
    expect(wrapper.element.children).toHaveLength(0)
    await until('the panel to mount', () => panelIn(wrapper) !== null)
    expect(panelIn(wrapper)!.getAttribute('data-open')).toBe('true')
    expect(panelIn(wrapper)!.classList.contains('pos-inline')).toBe(true)
    expect(source.listeners).toBe(1)
    wrapper.unmount()
    wrappers.splice(wrappers.indexOf(wrapper), 1)
    expect(source.listeners).toBe(0)
  })

  it('takes the instance as sync; a new source or position remounts the panel on it', async () => {
    const first = fakeSource()
    const second = fakeSource(snapshot({ queues: [] }))
    const wrapper = mounted(SupasyncDevtools, { sync: first })
    await until('the panel on the first source', () => first.listeners === 1)
    await wrapper.setProps({ sync: second })
    await until('the panel on the second source', () => second.listeners === 1)
    expect(first.listeners).toBe(0)
    await wrapper.setProps({ position: 'top-right' })
    await until('the panel at the new position', () => panelIn(wrapper)?.classList.contains('pos-top-right') ?? false)
    expect(second.listeners).toBe(1)
  })

  it('a source changed while the panel is still loading: only the last one is mounted, once', async () => {
    const first = fakeSource()
    const second = fakeSource()
    const errors: unknown[] = []
    const wrapper = mounted(SupasyncDevtools, { sync: first }, errors)
    await wrapper.setProps({ sync: second })
    await until('the panel on the second source', () => second.listeners === 1)
    await until('the chunk to have settled for the first one too', () => panelIn(wrapper) !== null)
    expect([first.listeners, first.inspectCalls]).toEqual([0, 0])
    expect(second.listeners).toBe(1)
    // One mount only: a second one into the same host would have been refused ("already shows a panel").
    expect(errors).toEqual([])
  })

  it('unmounted before the panel loaded (v-if toggled off at once): nothing is mounted when it arrives', async () => {
    const early = fakeSource()
    const late = fakeSource()
    const show = ref(true)
    const Parent = defineComponent({ setup: () => () => (show.value ? h(SupasyncDevtools, { sync: early }) : null) })
    mounted(Parent, {})
    show.value = false
    await nextTick()
    mounted(SupasyncDevtools, { sync: late })
    await until('the later panel to mount', () => late.listeners === 1)
    expect([early.listeners, early.inspectCalls]).toEqual([0, 0])
  })

  it('a wrong source or bad options reach onErrorCaptured / the error handler with the fix, once the panel has loaded', async () => {
    const errors: unknown[] = []
    /** Catches what its child throws, as an app's error boundary would. */
    const Boundary = defineComponent({
      props: { child: { type: Object, required: true } },
      setup(props) {
        onErrorCaptured((error) => {
          errors.push(error)
          return false
        })
        return () => h(SupasyncDevtools, props.child)
      },
    })
    const caught = async (child: Record<string, unknown>) => {
      const count = errors.length
      mounted(Boundary, { child })
      await until('the refusal to reach the boundary', () => errors.length > count)
      return String(errors.at(-1))
    }
    expect(await caught({ sync: {} })).toContain('<SupasyncDevtools :sync="…">: the source has no inspect() / subscribeInspect(listener)')
    expect(await caught({ sync: fakeSource(), source: fakeSource() })).toContain('give either sync or source, not both')
    expect(await caught({})).toContain('expected the supasync instance')
    expect(await caught({ source: fakeSource(), position: 'middle' })).toContain('position "middle" is not supported')
  })
})

describe('in production', () => {
  async function load(entry: '../src/vue.js' | '../src/vueProduction.js'): Promise<typeof import('../src/vue.js')> {
    vi.stubEnv('NODE_ENV', 'production')
    vi.resetModules()
    return import(entry)
  }

  it('renders nothing, subscribes to nothing and loads no panel', async () => {
    const { SupasyncDevtools: Production } = await load('../src/vue.js')
    const source = fakeSource()
    const wrapper = mounted(Production, { sync: source, initialIsOpen: true, class: 'extra' })
    const control = fakeSource()
    mounted(SupasyncDevtools, { sync: control })
    await until('the development component to mount', () => control.listeners === 1)
    expect(wrapper.html()).toBe('')
    expect([source.listeners, source.inspectCalls]).toEqual([0, 0])
  })

  it('@supasync/devtools/vue/production shows the panel anyway', async () => {
    const { SupasyncDevtools: Deliberate } = await load('../src/vueProduction.js')
    const source = fakeSource()
    const wrapper = mounted(Deliberate, { sync: source, initialIsOpen: true })
    await until('the panel to mount', () => panelIn(wrapper) !== null)
    expect(source.listeners).toBe(1)
  })
})
