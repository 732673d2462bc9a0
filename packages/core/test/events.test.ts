/**
 * sync.onEvent (issue #17): structured events for monitoring, with a fake realtime client and a manual clock.
 */
import { describe, expect, it } from 'vitest'
import type { SupasyncEvent } from '../src/index.js'
import { fakeSupasync, flush } from './fakeRealtime.js'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJl'

describe('sync.onEvent', () => {
  it('reports joins, the server closing a channel with its reason, refusals and releases, with wall times', async () => {
    const { realtime, sync, advance } = fakeSupasync({ graceMs: 1000 })
    const events: SupasyncEvent[] = []
    const off = sync.onEvent((event) => events.push(event))
    const room = sync.channel('wedding:42')
    await flush()
    await advance(250)
    realtime.byTopic('wedding:42').at(-1)!.joined()
    const join = events.find((event) => event.type === 'join')
    expect(join).toMatchObject({ type: 'join', topic: 'wedding:42', kind: 'room', private: false, ms: 250 })
    expect(typeof join!.at).toBe('number')

    realtime.byTopic('wedding:42').at(-1)!.serverClose('Too many messages per second')
    expect(events.filter((event) => event.type === 'channel-close')).toEqual([
      expect.objectContaining({ topic: 'wedding:42', by: 'server', reason: 'Too many messages per second' }),
    ])

    const vault = sync.channel('vault', { private: true })
    await flush()
    realtime.byTopic('vault').at(-1)!.refuse('Unauthorized: You do not have permissions to read from this Channel topic: vault')
    expect(events.filter((event) => event.type === 'channel-close' && event.by === 'refused')).toEqual([
      expect.objectContaining({ topic: 'vault', kind: 'room', reason: 'Unauthorized: You do not have permissions to read from this Channel topic: vault' }),
    ])

    await advance(5000)
    realtime.byTopic('wedding:42').at(-1)!.joined()
    room.release()
    vault.release()
    await advance(1500)
    expect(events.filter((event) => event.type === 'channel-close' && event.by === 'release').map((event) => (event as { topic: string }).topic)).toContain('wedding:42')
    off()
    await sync.destroy()
  })

  it('reports status changes only while someone listens, and never a token', async () => {
    const { realtime, sync } = fakeSupasync()
    expect(sync.diagnostics().statusListeners).toBe(0)
    const events: SupasyncEvent[] = []
    const off = sync.onEvent((event) => events.push(event))
    expect(sync.diagnostics()).toMatchObject({ eventListeners: 1, statusListeners: 1 })
    await realtime.setAuth(TOKEN)
    sync.channel('room')
    await flush()
    realtime.byTopic('room').at(-1)!.joined()
    realtime.heartbeatOk()
    await flush()
    const statuses = events.filter((event) => event.type === 'status')
    expect(statuses.at(-1)).toMatchObject({ state: 'live' })
    for (const status of statuses) expect(status).toHaveProperty('previous')
    expect(JSON.stringify(events)).not.toContain(TOKEN)
    expect(JSON.stringify(events)).not.toContain('secret-user')
    off()
    expect(sync.diagnostics()).toMatchObject({ eventListeners: 0, statusListeners: 0 })
    await sync.destroy()
  })

  it('keeps delivering to the other listeners when one throws, and destroy() drops every listener', async () => {
    const { realtime, sync } = fakeSupasync()
    const thrown: unknown[] = []
    const onUncaught = (error: unknown) => thrown.push(error)
    process.on('uncaughtException', onUncaught)
    try {
      const got: string[] = []
      sync.onEvent(() => {
        throw new Error('broken monitoring hook')
      })
      sync.onEvent((event) => got.push(event.type))
      sync.channel('room')
      await flush()
      realtime.byTopic('room').at(-1)!.joined()
      await flush()
      expect(got).toContain('join')
      expect(thrown.some((error) => error instanceof Error && error.message === 'broken monitoring hook')).toBe(true)
      await sync.destroy()
      expect(sync.diagnostics().eventListeners).toBe(0)
      expect(() => sync.onEvent(() => undefined)).toThrow()
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})

describe('redactValues', () => {
  it('removes the values Postgres quotes after a colon and in Key (…)=(…), and keeps the identifiers that say what to fix', async () => {
    const { redactValues } = await import('../src/redactValues.js')
    expect(redactValues('invalid input syntax for type integer: "abc"')).toBe('invalid input syntax for type integer: "…"')
    expect(redactValues(`invalid input value for enum mood: "happ\\"yy"`)).toBe('invalid input value for enum mood: "…"')
    expect(redactValues("malformed array literal: '{1,2'")).toBe("malformed array literal: '…'")
    expect(redactValues('Key (email)=(a@b.c) already exists.')).toBe('Key (email)=(…) already exists.')
    expect(redactValues('Key (a, b)=(1, f(x)) already exists.')).toBe('Key (a, b)=(…) already exists.')
    expect(redactValues('duplicate key value violates unique constraint "todos_pkey"')).toBe('duplicate key value violates unique constraint "todos_pkey"')
    expect(redactValues('null value in column "title" of relation "todos" violates not-null constraint')).toBe('null value in column "title" of relation "todos" violates not-null constraint')
  })
})
