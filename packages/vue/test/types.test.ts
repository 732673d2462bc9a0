// @vitest-environment happy-dom
/**
 * Types: row type inference of useLiveTable and select, read-only results, the argument forms. The assertions are
 * checked by `tsc` (the repository's typecheck covers packages/*\/test); the test also runs the calls for real.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { computed, createApp, effectScope, ref, type ShallowRef } from 'vue'
import type { ConnectionState, ConnectionStatus, LeaseStatus, RoomStatus, SupasyncError } from '@supasync/core'
import type { Freshness, LiveTable, LiveTableOptions } from '@supasync/polling'
import type { PresenceMember } from '@supasync/presence'
import type { QueueStatus } from '@supasync/queue'
import { SupasyncPlugin, useBroadcast, useChanges, useChannel, useConnectionStatus, useLiveTable, usePresence, type RowChange } from '../src/index.js'
import { fakeWorld } from './helpers.js'

type Component = { id: number; project_id: number; tag: string; updated_at: string }
const supabase = { schema: () => ({}) } // the shape liveTableKey checks; nothing is read in these tests

describe('types', () => {
  it('useLiveTable<Row>: rows is a ReadonlyMap of Row; get() returns Row | undefined; table is LiveTable<Row>', () => {
    const { sync } = fakeWorld()
    const scope = effectScope()
    scope.run(() => {
      const live = useLiveTable<Component>({ supabase, table: 'components', sweepIntervalMs: false }, {}, sync)
      expectTypeOf(live.rows).toEqualTypeOf<Readonly<ShallowRef<ReadonlyMap<string, Component>>>>()
      expectTypeOf(live.rows.value).toEqualTypeOf<ReadonlyMap<string, Component>>()
      expectTypeOf(live.get(7)).toEqualTypeOf<Component | undefined>()
      expectTypeOf(live.table.value).toEqualTypeOf<LiveTable<Component> | undefined>()
      expectTypeOf(live.freshness.value).toEqualTypeOf<Freshness>()
      expectTypeOf(live.error.value).toEqualTypeOf<SupasyncError<string> | undefined>()
      expectTypeOf(live.loading.value).toEqualTypeOf<boolean>()
      expectTypeOf(live.suspense()).toEqualTypeOf<Promise<ReadonlyMap<string, Component>>>()
      // @ts-expect-error results are read-only
      live.rows.value = new Map()
      // @ts-expect-error the row type is checked on select
      useLiveTable<Component, string>({ supabase, table: 'components' }, { select: (rows) => rows.get('1')?.missing }, sync)
    })
    scope.stop()
  })

  it('select: the picked type, explicit (<Row, T>) or inferred from an annotated select', () => {
    const { sync } = fakeWorld()
    const scope = effectScope()
    scope.run(() => {
      const one = useLiveTable<Component, Component | undefined>({ supabase, table: 'components' }, { select: (rows) => rows.get('7') }, sync)
      expectTypeOf(one.rows.value).toEqualTypeOf<Component | undefined>()
      expectTypeOf(one.suspense()).toEqualTypeOf<Promise<Component | undefined>>()
      expectTypeOf(one.get('7')).toEqualTypeOf<Component | undefined>()
      const tags = useLiveTable({ supabase, table: 'components' }, { select: (rows: ReadonlyMap<string, Component>) => [...rows.values()].map((row) => row.tag), isEqual: (a, b) => a.join() === b.join() }, sync)
      expectTypeOf(tags.rows.value).toEqualTypeOf<string[]>()
      expectTypeOf(tags.table.value).toEqualTypeOf<LiveTable<Component> | undefined>()
    })
    scope.stop()
  })

  it('arguments: values, refs, computeds, getters and null', async () => {
    const { sync, advance, baseline } = fakeWorld()
    const scope = effectScope()
    scope.run(() => {
      const options = ref<LiveTableOptions<Component> | null>(null)
      const project = ref(1)
      useLiveTable<Component>(options, {}, sync)
      useLiveTable<Component>(computed(() => ({ supabase, table: 'components', filter: { project_id: project.value } })), {}, sync)
      useLiveTable<Component>(() => (project.value > 0 ? { supabase, table: 'components' } : null), {}, sync)
      const channel = useChannel(() => `room:${project.value}`, computed(() => ({ broadcast: { ack: true } })), sync)
      expectTypeOf(channel.status.value).toEqualTypeOf<RoomStatus>()
      expectTypeOf(channel.send).returns.toEqualTypeOf<Promise<'ok' | 'timed out' | 'error'>>()
      useBroadcast<{ minutes: number }>('room', 'late', (payload, message) => {
        expectTypeOf(payload).toEqualTypeOf<{ minutes: number }>()
        expectTypeOf(message.event).toEqualTypeOf<string>()
      }, undefined, sync)
      const changes = useChanges<Component>(() => ({ table: 'components' }), (change) => {
        expectTypeOf(change).toEqualTypeOf<RowChange<Component>>()
        expectTypeOf(change.new.tag).toEqualTypeOf<string | undefined>()
      }, sync)
      expectTypeOf(changes.status.value).toEqualTypeOf<LeaseStatus>()
      const presence = usePresence<{ name: string }>('presence-room', () => ({ key: 'me', state: { name: 'Ann' } }), sync)
      expectTypeOf(presence.members.value).toEqualTypeOf<readonly PresenceMember<{ name: string }>[]>()
      presence.update({ name: 'Bo' })
      // @ts-expect-error the state type is checked on update
      presence.update({ name: 1 })
      expectTypeOf(useConnectionStatus(undefined, undefined, sync).value).toEqualTypeOf<ConnectionStatus>()
      expectTypeOf(useConnectionStatus((status) => status.state, undefined, sync).value).toEqualTypeOf<ConnectionState>()
    })
    scope.stop()
    await advance(2 * sync.graceMs + 100)
    expect(sync.diagnostics()).toEqual(baseline)
  })

  it('app.use(SupasyncPlugin, options) checks the options', () => {
    const { sync } = fakeWorld()
    createApp({ render: () => null }).use(SupasyncPlugin, { sync })
    // @ts-expect-error sync is required
    expect(() => createApp({ render: () => null }).use(SupasyncPlugin, { destroyOnUnmount: true })).toThrow(/createSupasync/)
  })

  it('queue status type', () => {
    expectTypeOf<ReturnType<typeof import('../src/index.js').useQueueStatus>['value']>().toEqualTypeOf<QueueStatus>()
  })
})
