import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '../../packages/local/src/index.js'
import { HOSTED_APP_SQL } from '../../packages/local/test/fixtures/hostedApp.js'
import { signedInClient } from '../../packages/local/test/fixtures.js'
import { waitFor } from '../../packages/local/test/helpers.js'

// `persist` on send() and httpSend() exists from realtime-js 2.119 (the newest 2.x this run installs): the local
// stack stores such messages for replay when the policies allow the `persistence` extension.
const ALICE = 'a11ce000-0000-4000-8000-000000000001'

let stack: LocalStack
const clients: SupabaseClient[] = []

beforeAll(async () => {
  stack = await startLocalStack({
    sql: [HOSTED_APP_SQL, `insert into rooms values ('r1', 'Site A'); insert into room_members values ('r1', '${ALICE}', 'member');`],
    realtime: { joinErrorDelayMs: 50 },
  })
})
afterAll(async () => {
  for (const client of clients) await client.removeAllChannels()
  await stack?.stop()
})

async function alice(): Promise<SupabaseClient> {
  const client = await signedInClient(stack, ALICE)
  clients.push(client)
  return client
}

async function subscribed(client: SupabaseClient, topic: string, config: Record<string, unknown>) {
  const messages: { event: string; payload: Record<string, unknown>; meta?: { replayed?: boolean } }[] = []
  const channel = client.channel(topic, { config: { private: true, ...config } as never })
  channel.on('broadcast', { event: '*' }, (message) => messages.push(message as unknown as (typeof messages)[number]))
  let status = ''
  channel.subscribe((next) => (status ||= next))
  await waitFor(() => status, 10_000, `${topic} join`)
  expect(status).toBe('SUBSCRIBED')
  return { channel, messages }
}

describe('persist with the newest supabase-js', () => {
  it('stores send({ persist }) and httpSend(…, { persist }) for replay on a private channel', async () => {
    const since = Date.now() - 1000
    const { channel } = await subscribed(await alice(), 'room:r1', { broadcast: { ack: true } })
    const send = channel.send.bind(channel) as (args: Record<string, unknown>) => Promise<string>
    expect(await send({ type: 'broadcast', event: 'kept', payload: { v: 1 }, persist: true })).toBe('ok')
    const httpSend = channel.httpSend.bind(channel) as (event: string, payload: unknown, opts: Record<string, unknown>) => Promise<unknown>
    await expect(httpSend('rest-kept', { v: 2 }, { persist: true })).resolves.toEqual({ success: true })
    expect(await send({ type: 'broadcast', event: 'not-kept', payload: { v: 3 } })).toBe('ok')
    const later = await subscribed(await alice(), 'room:r1', { broadcast: { replay: { since } } })
    await waitFor(() => later.messages.length === 2, 5000, 'two replayed messages')
    expect(later.messages.map((message) => [message.event, message.payload.v, message.meta?.replayed])).toEqual([
      ['kept', 1, true],
      ['rest-kept', 2, true],
    ])
  })

  it('resolves send({ persist }) with the reason when the policies do not allow storing', async () => {
    await stack.query(
      `create policy "lobby" on realtime.messages for all to authenticated using (realtime.topic() = 'lobby') with check (realtime.topic() = 'lobby' and extension in ('broadcast', 'presence'))`,
    )
    const { channel } = await subscribed(await alice(), 'lobby', { broadcast: { ack: true } })
    const send = channel.send.bind(channel) as (args: Record<string, unknown>) => Promise<string>
    expect(await send({ type: 'broadcast', event: 'plain', payload: {} })).toBe('ok')
    expect(await send({ type: 'broadcast', event: 'kept', payload: {}, persist: true })).toContain(
      'You do not have permissions to persist messages on this Channel topic: lobby',
    )
  })
})
