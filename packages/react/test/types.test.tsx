// @vitest-environment happy-dom
/**
 * The public hook signatures, checked by the compiler (`npm test` runs tsc over the tests first): row types flow from
 * `useLiveTable<Row>` into rows, get, select and onChange; wrong uses do not compile.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { ChangePayload, ConnectionStatus, RoomStatus, SupasyncError } from '@supasync/core'
import type { Freshness, LiveChange, LiveTable } from '@supasync/polling'
import type { PresenceMember } from '@supasync/presence'
import type { QueueStatus } from '@supasync/queue'
import { useBroadcast, useChannel, useChanges, useConnectionStatus, useLiveTable, useLiveTableSuspense, usePresence, useQueueStatus } from '../src/index.js'

type Component = { id: number; project_id: number; milestone: 'not_started' | 'welded'; updated_at: string }

// Never called: only compiled.
function signatures() {
  const all = useLiveTable<Component>({ table: 'components', filter: { project_id: 1 }, onChange: (change) => expectTypeOf(change).toEqualTypeOf<LiveChange<Component>>() })
  expectTypeOf(all.rows).toEqualTypeOf<ReadonlyMap<string, Component>>()
  expectTypeOf(all.get(1)).toEqualTypeOf<Component | undefined>()
  expectTypeOf(all.freshness).toEqualTypeOf<Freshness>()
  expectTypeOf(all.error).toEqualTypeOf<SupasyncError<string> | undefined>()
  expectTypeOf(all.table).toEqualTypeOf<LiveTable<Component> | undefined>()
  expectTypeOf(all.refresh).returns.toEqualTypeOf<Promise<void>>()

  const one = useLiveTable<Component, Component | undefined>({ table: 'components' }, { select: (rows) => rows.get('7') })
  expectTypeOf(one.rows).toEqualTypeOf<Component | undefined>()
  const count = useLiveTable<Component, number>({ table: 'components' }, { select: (rows) => rows.size, isEqual: (a, b) => a === b })
  expectTypeOf(count.rows).toBeNumber()
  // @ts-expect-error select must return the declared selection type
  useLiveTable<Component, number>({ table: 'components' }, { select: (rows) => rows.get('1') })
  // @ts-expect-error the rows are read-only
  all.rows.set('1', {} as Component)
  const disabled = useLiveTable<Component>(null)
  expectTypeOf(disabled.rows).toEqualTypeOf<ReadonlyMap<string, Component>>()
  const suspended = useLiveTableSuspense<Component>({ table: 'components' })
  expectTypeOf(suspended).not.toHaveProperty('loading')

  expectTypeOf(useConnectionStatus()).toEqualTypeOf<ConnectionStatus>()
  expectTypeOf(useConnectionStatus((status) => status.state)).toEqualTypeOf<ConnectionStatus['state']>()
  expectTypeOf(useChannel('room').status).toEqualTypeOf<RoomStatus>()
  expectTypeOf(useChannel('room').send).returns.toEqualTypeOf<Promise<'ok' | 'timed out' | 'error'>>()
  useBroadcast<{ minutes: number }>('room', 'running-late', (payload) => expectTypeOf(payload.minutes).toBeNumber())
  useChanges<Component>({ table: 'components' }, (change) => {
    expectTypeOf(change.new.id).toEqualTypeOf<number | undefined>()
    expectTypeOf(change).toMatchTypeOf<ChangePayload>()
  })
  // @ts-expect-error event must be one of '*', INSERT, UPDATE, DELETE
  useChanges({ table: 'components', event: 'UPSERT' }, () => {})
  const presence = usePresence<{ name: string }>('room', { key: 'me', state: { name: 'Ann' } })
  expectTypeOf(presence.members).toEqualTypeOf<readonly PresenceMember<{ name: string }>[]>()
  presence.update({ name: 'Bo' })
  expectTypeOf(useQueueStatus()).toEqualTypeOf<QueueStatus>()
}

describe('hook types', () => {
  it('compile (see the expectTypeOf assertions above)', () => {
    expect(typeof signatures).toBe('function')
  })
})
