import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { ALICE, BOB, signedInClient, startTestStack } from './fixtures.js'
import { HOSTED_APP_SQL } from './fixtures/hostedApp.js'
import { waitFor } from './helpers.js'

const CAROL = 'ca201000-0000-4000-8000-000000000003'
const JOIN_ERROR_DELAY_MS = 300

let stack: LocalStack
const clients: SupabaseClient[] = []

beforeAll(async () => {
  stack = await startTestStack({
    sql: [
      HOSTED_APP_SQL,
      `insert into rooms values ('r1', 'Site A'), ('r2', 'Site B');
       insert into room_members values ('r1', '${ALICE}', 'member'), ('r1', '${BOB}', 'viewer'), ('r2', '${BOB}', 'member');`,
    ],
    realtime: { joinErrorDelayMs: JOIN_ERROR_DELAY_MS },
  })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  await stack.faults.reset()
  for (const client of clients.splice(0)) await client.removeAllChannels()
})

async function asUser(sub: string | undefined): Promise<SupabaseClient> {
  if (!sub) {
    const anon = stack.createClient()
    clients.push(anon)
    return anon
  }
  const created = await signedInClient(stack, sub)
  clients.push(created)
  return created
}

interface Joined {
  channel: RealtimeChannel
  statuses: string[]
  errors: (Error | undefined)[]
  broadcasts: { event: string; payload: Record<string, unknown>; meta?: { id: string; replayed?: boolean } }[]
  system: Record<string, unknown>[]
}

/** Subscribes and resolves on the first SUBSCRIBED, CHANNEL_ERROR or CLOSED. */
async function join(supabase: SupabaseClient, topic: string, config: Record<string, unknown> = {}, presence = false): Promise<Joined> {
  const joined: Joined = { channel: undefined as never, statuses: [], errors: [], broadcasts: [], system: [] }
  const channel = supabase.channel(topic, { config: { private: true, ...config } as never })
  channel.on('broadcast', { event: '*' }, (message) => joined.broadcasts.push(message as unknown as Joined['broadcasts'][number]))
  channel.on('system' as never, {} as never, (payload: Record<string, unknown>) => joined.system.push(payload))
  if (presence) channel.on('presence', { event: 'sync' }, () => undefined)
  channel.subscribe((status, error) => {
    joined.statuses.push(status)
    joined.errors.push(error)
  })
  joined.channel = channel
  await waitFor(() => joined.statuses.length > 0, 10_000, `${topic} to settle`)
  return joined
}

describe('private channels authorized by policies on realtime.messages', () => {
  it('lets a member join and refuses others with the server text after the join-error delay', async () => {
    const member = await join(await asUser(ALICE), 'room:r1')
    expect(member.statuses[0]).toBe('SUBSCRIBED')
    const started = Date.now()
    const outsider = await join(await asUser(CAROL), 'room:r1')
    expect(outsider.statuses[0]).toBe('CHANNEL_ERROR')
    expect(outsider.errors[0]?.message).toBe('Unauthorized: You do not have permissions to read from this Channel topic: room:r1')
    expect(Date.now() - started).toBeGreaterThanOrEqual(JOIN_ERROR_DELAY_MS - 5)
    // anon has no policy at all.
    const anon = await join(await asUser(undefined), 'room:r1')
    expect(anon.errors[0]?.message).toBe('Unauthorized: You do not have permissions to read from this Channel topic: room:r1')
  })

  it('delivers broadcasts between members; a reader without write access is dropped without a reply', async () => {
    const alice = await join(await asUser(ALICE), 'room:r2')
    expect(alice.statuses[0]).toBe('CHANNEL_ERROR')
    const sender = await join(await asUser(BOB), 'room:r2', { broadcast: { ack: true } })
    const receiver = await join(await asUser(BOB), 'room:r2')
    expect(await sender.channel.send({ type: 'broadcast', event: 'note', payload: { n: 1 } })).toBe('ok')
    await waitFor(() => receiver.broadcasts.length === 1, 5000, 'the member broadcast')
    expect(receiver.broadcasts[0]).toMatchObject({ event: 'note', payload: { n: 1 } })

    // BOB is only a viewer of r1: he may join (presence read) but neither receive nor send broadcasts.
    const viewer = await join(await asUser(BOB), 'room:r1', { broadcast: { ack: true } }, true)
    expect(viewer.statuses[0]).toBe('SUBSCRIBED')
    const member = await join(await asUser(ALICE), 'room:r1')
    expect(await viewer.channel.send({ type: 'broadcast', event: 'sneaky', payload: {} }, { timeout: 600 })).toBe('timed out')
    await member.channel.send({ type: 'broadcast', event: 'hello', payload: { from: 'alice' } })
    await member.channel.send({ type: 'broadcast', event: 'marker', payload: {} })
    const watcher = await join(await asUser(ALICE), 'room:r1')
    await member.channel.send({ type: 'broadcast', event: 'after', payload: {} })
    await waitFor(() => watcher.broadcasts.some((message) => message.event === 'after'), 5000, 'a later member broadcast')
    expect(viewer.broadcasts).toEqual([])
    expect(watcher.broadcasts.map((message) => message.event)).toEqual(['after'])
  })

  it('keeps a private and a public channel of one name apart: broadcasts, presence and both REST endpoints', async () => {
    const inside = await join(await asUser(ALICE), 'room:r1', {}, true)
    const anon = await asUser(undefined)
    const outside = await join(anon, 'room:r1', { private: false }, true)
    expect([inside.statuses[0], outside.statuses[0]]).toEqual(['SUBSCRIBED', 'SUBSCRIBED'])
    expect(await inside.channel.track({ who: 'alice' })).toBe('ok')
    await waitFor(() => Object.keys(inside.channel.presenceState()).length === 1, 5000, 'alice in private presence')
    await inside.channel.send({ type: 'broadcast', event: 'secret', payload: { code: 42 } })
    // anon's REST broadcasts to the name: public only, so the private room never sees them.
    await outside.channel.httpSend('public-rest', { a: 1 })
    const batch = await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: 'room:r1', event: 'public-batch', payload: {} }, { topic: 'room:r1', event: 'forged', payload: {}, private: true }] }),
    })
    // The real batch endpoint answers 202 and skips the private message anon may not write.
    expect(batch.status).toBe(202)
    const otherAnon = await join(await asUser(undefined), 'room:r1', { private: false })
    await otherAnon.channel.send({ type: 'broadcast', event: 'public-marker', payload: {} })
    await waitFor(() => outside.broadcasts.some((message) => message.event === 'public-marker'), 5000, 'the public marker')
    expect(outside.broadcasts.map((message) => message.event)).toEqual(['public-rest', 'public-batch', 'public-marker'])
    expect(Object.keys(outside.channel.presenceState())).toEqual([])
    await inside.channel.send({ type: 'broadcast', event: 'private-marker', payload: {} })
    const second = await join(await asUser(ALICE), 'room:r1')
    await inside.channel.send({ type: 'broadcast', event: 'to-second', payload: {} })
    await waitFor(() => second.broadcasts.some((message) => message.event === 'to-second'), 5000, 'the private broadcast')
    expect(second.broadcasts.map((message) => message.event)).toEqual(['to-second'])
  })

  it('answers httpSend to a private channel 403 "Unauthorized" without an INSERT policy, 202 with one', async () => {
    const carol = await asUser(CAROL)
    const refused = carol.channel('room:r1', { config: { private: true } })
    await expect(refused.httpSend('x', { a: 1 })).rejects.toThrow('Unauthorized')
    const alice = await asUser(ALICE)
    const receiver = await join(alice, 'room:r1')
    const allowed = alice.channel('room:r1-rest', { config: { private: true } })
    await expect(allowed.httpSend('y', {})).rejects.toThrow('Unauthorized')
    const sender = (await asUser(ALICE)).channel('room:r1', { config: { private: true } })
    await expect(sender.httpSend('rest', { ok: true })).resolves.toEqual({ success: true })
    await waitFor(() => receiver.broadcasts.length === 1, 5000, 'the REST broadcast')
    expect(receiver.broadcasts[0]).toMatchObject({ event: 'rest', payload: { ok: true } })
  })

  it('tracks presence on a private channel for members; a presence reader sees it but cannot track', async () => {
    const alice = await join(await asUser(ALICE), 'room:r1', { presence: { key: 'alice' } }, true)
    const bob = await join(await asUser(BOB), 'room:r1', { presence: { key: 'bob' } }, true)
    expect(await alice.channel.track({ status: 'on site' })).toBe('ok')
    await waitFor(() => bob.channel.presenceState().alice, 5000, 'bob to see alice')
    expect(await bob.channel.track({ status: 'watching' })).toBe('error')
    expect(stack.realtime.snapshot().presences).toBe(1)
  })

  it('re-checks read access when the token changes and closes the channel with the server text', async () => {
    await stack.query(`insert into room_members values ('r2', '${ALICE}', 'member')`)
    const token = stack.signJwt({ sub: ALICE, role: 'authenticated' })
    const supabase = stack.createClient({ accessToken: async () => token })
    clients.push(supabase)
    await supabase.realtime.setAuth(token)
    const joined = await join(supabase, 'room:r2')
    expect(joined.statuses[0]).toBe('SUBSCRIBED')
    await stack.query(`delete from room_members where room_id = 'r2' and user_id = '${ALICE}'`)
    await supabase.realtime.setAuth(stack.signJwt({ sub: ALICE, role: 'authenticated', iat: Math.floor(Date.now() / 1000) - 1 }))
    await waitFor(() => joined.system.some((message) => message.status === 'error'), 5000, 'the shutdown')
    expect(joined.system.find((message) => message.status === 'error')).toMatchObject({
      extension: 'system',
      message: 'You do not have permissions to read from this Channel topic: room:r2',
      channel: 'room:r2',
    })
    await waitFor(() => joined.statuses.includes('CLOSED'), 5000, 'CLOSED')
  })

  it('refuses a private join with the server text when today\'s messages partition is missing', async () => {
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '_')
    await stack.query(`alter table realtime.messages detach partition realtime.messages_${today}`)
    try {
      const joined = await join(await asUser(ALICE), 'room:r1')
      expect(joined.errors[0]?.message).toBe('MissingPartition: Realtime was unable to find the expected messages partition')
    } finally {
      const next = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
      await stack.query(
        `alter table realtime.messages attach partition realtime.messages_${today} for values from ('${today.replaceAll('_', '-')}') to ('${next}')`,
      )
    }
  })
})
