/**
 * A presence state JSON cannot carry is refused by update() / createPresence with UNSERIALIZABLE, and nothing
 * changes. No server: the check runs before anything is tracked, so a client pointed at a closed port is enough.
 */
import { createClient } from '@supabase/supabase-js'
import { afterEach, describe, expect, it } from 'vitest'
import ws from 'ws'
import { createSupasync, SupasyncError } from '@supasync/core'
import { createPresence } from '../src/index.js'
import { manualClock } from './helpers.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

function offlineSync() {
  // Port 9 (discard) on loopback: nothing answers, and nothing here waits for it.
  const supabase = createClient('http://127.0.0.1:9', 'anon-key', {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: ws as never },
  })
  const sync = createSupasync(supabase, { onError: () => undefined })
  cleanups.push(async () => {
    await sync.destroy()
    await supabase.removeAllChannels()
  })
  return sync
}

const caught = (action: () => unknown): unknown => {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('presence state must be JSON-safe', () => {
  it('update() refuses a BigInt / Map / cycle with UNSERIALIZABLE naming the path, and keeps the state', () => {
    const sync = offlineSync()
    const room = createPresence(sync, 'wedding:1', { key: 'ann', state: { role: 'photographer' }, ports: { timers: manualClock() } })
    const bigint = caught(() => room.update({ meta: { count: 3n } } as never))
    expect(bigint).toBeInstanceOf(SupasyncError)
    expect(bigint).toMatchObject({ code: 'UNSERIALIZABLE' })
    expect((bigint as Error).message).toMatch(/update\(\) on presence "wedding:1": state\.meta\.count is a BigInt.*String\(value\).*The state was not changed/)
    expect(caught(() => room.update({ seen: new Set(['a']) } as never))).toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/state\.seen is a Set/) })
    const loop: Record<string, unknown> = {}
    loop.self = loop
    expect(caught(() => room.update(() => loop))).toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/state\.self is a circular reference to state/) })
    expect(room.state).toEqual({ role: 'photographer' })
    room.update({ task: 'first dance', at: new Date(0) } as never) // a Date is fine: it travels as an ISO string
    expect(room.state).toMatchObject({ role: 'photographer', task: 'first dance' })
    room.leave()
  })

  it('createPresence refuses an initial state JSON cannot carry', () => {
    const sync = offlineSync()
    const error = caught(() => createPresence(sync, 'wedding:2', { key: 'ann', state: { budget: Number.NaN } }))
    expect(error).toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/createPresence: state\.budget is NaN/) })
  })
})
