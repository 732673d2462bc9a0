/**
 * Private rooms (issue #16) with the unmodified supabase-js against the local stack, whose Realtime server authorizes
 * private channels by the app's policies on realtime.messages with the real server's texts: a hosted app's migration
 * (room_members decides who reads and writes `room:<id>`), users signed in through supabase-js's `accessToken` option.
 */
import type { SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { HOSTED_APP_SQL } from '../../local/test/fixtures/hostedApp.js'
import { SupasyncError, type RoomHandle, type RoomStatus, type SupasyncOptions } from '../src/index.js'
import { ALICE, syncFor, thrown, waitFor } from './helpers.js'

const CAROL = 'ca201000-0000-4000-8000-000000000003'
const DAVE = 'da7e0000-0000-4000-8000-000000000004'
const JOIN_ERROR_DELAY_MS = 200
/** How long a test watches for joins that must not happen: many heartbeats (token checks) and realtime-js retries. */
const WATCH_MS = 3000

let stack: LocalStack
const cleanups: (() => Promise<unknown> | unknown)[] = []

beforeAll(async () => {
  stack = await startLocalStack({
    sql: [HOSTED_APP_SQL, `insert into rooms values ('r1', 'Site A'), ('r2', 'Site B'); insert into room_members values ('r1', '${ALICE}', 'member');`],
    realtime: { joinErrorDelayMs: JOIN_ERROR_DELAY_MS, connectErrorDelayMs: 50 },
  })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await stack.faults.reset()
})

let tokenSerial = 0
/** A fresh access token of `sub` (role authenticated): each one differs, as a session refresh's would. */
const tokenOf = (sub: string, lifetimeSeconds = 3600) =>
  stack.signJwt({ sub, role: 'authenticated', jti: `t${++tokenSerial}`, exp: Math.floor(Date.now() / 1000) + lifetimeSeconds })

/**
 * A supasync instance on a supabase-js client whose `accessToken` callback answers `auth.token` (third-party auth):
 * the test changes `auth.token` to refresh the session or switch users, as the app's auth provider would.
 */
function signedIn(token: string, options: SupasyncOptions = {}) {
  const auth = { token }
  const client = syncFor(stack, { heartbeatIntervalMs: 200, ...options }, { accessToken: async () => auth.token })
  cleanups.push(() => client.close())
  return { ...client, auth }
}

/** A plain supabase-js client (no supasync) as `sub`, or anon, to play the other people in the room. */
async function plainClient(sub?: string): Promise<SupabaseClient> {
  const token = sub === undefined ? undefined : tokenOf(sub)
  const client = stack.createClient(token === undefined ? {} : { accessToken: async () => token })
  if (token !== undefined) await client.realtime.setAuth(token)
  cleanups.push(() => client.removeAllChannels())
  return client
}

/** Joins `topic` with supabase-js directly and records its broadcasts. */
async function plainRoom(client: SupabaseClient, topic: string, isPrivate: boolean) {
  const events: string[] = []
  let status = ''
  const channel = client.channel(topic, { config: { private: isPrivate, broadcast: { ack: true } } })
  channel.on('broadcast', { event: '*' }, (message: { event: string }) => events.push(message.event))
  channel.subscribe((next) => (status = next))
  await waitFor(() => status === 'SUBSCRIBED', 5000, `${isPrivate ? 'private' : 'public'} ${topic} (plain supabase-js)`)
  return { channel, events, send: (event: string) => channel.send({ type: 'broadcast', event, payload: {} }) }
}

/**
 * Counts the `phx_join` frames for `topic` that reach the server on the sockets it accepts from now on (those of the
 * clients a test creates next): refused joins never reach `stack.realtime.stats.joins`, which counts successful ones.
 */
function countJoins(topic: string): { readonly count: number } {
  let count = 0
  const sockets = stack.realtime.sockets
  const add = sockets.add
  sockets.add = function (socket) {
    socket.ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const frame = JSON.parse(String(data)) as unknown[] | { topic?: string; event?: string }
      const [frameTopic, event] = Array.isArray(frame) ? [frame[2], frame[3]] : [frame.topic, frame.event]
      if (event === 'phx_join' && frameTopic === `realtime:${topic}`) count++
    })
    return add.call(this, socket)
  }
  cleanups.push(() => {
    sockets.add = add
  })
  return {
    get count() {
      return count
    },
  }
}

/** The server's channel sessions of `topic`. */
const sessionsOf = (topic: string) => [...stack.realtime.sockets].flatMap((socket) => [...socket.channels.values()]).filter((session) => session.subTopic === topic)

/** Every status a room goes through from now on. */
function statusLog(room: RoomHandle): RoomStatus[] {
  const seen: RoomStatus[] = []
  cleanups.push(room.status.subscribe((status) => seen.push(status)))
  return seen
}

/** Waits for a room's status, with its error in the failure message. */
const joined = (room: RoomHandle, what: string, timeoutMs = 10_000) =>
  waitFor(() => room.status.get() === 'joined', timeoutMs, `${what} (status ${room.status.get()}, error: ${room.error?.message})`)

const unauthorized = (errors: Error[]) => errors.filter((error): error is SupasyncError => error instanceof SupasyncError && error.code === 'UNAUTHORIZED')

/** Observes for `ms` that nothing happens (a bounded observation, not a synchronisation). */
async function watch(ms: number): Promise<void> {
  const until = Date.now() + ms
  await waitFor(() => Date.now() >= until, ms + 1000, 'the watch period')
}

describe('a member in a private room', () => {
  it("joins with the user's token from the accessToken callback, sends and receives broadcasts and presence", async () => {
    const phone = signedIn(tokenOf(ALICE))
    const desk = signedIn(tokenOf(ALICE))
    const onPhone = phone.sync.channel('room:r1', { private: true, broadcast: { ack: true }, presence: { key: 'alice-phone' } })
    const onDesk = desk.sync.channel('room:r1', { private: true, broadcast: { ack: true }, presence: { key: 'alice-desk' } })
    const heard: unknown[] = []
    onDesk.on('note', (payload) => heard.push(payload))
    await joined(onPhone, 'the phone joined')
    await joined(onDesk, 'the desk joined')
    const sessions = sessionsOf('room:r1')
    expect(sessions).toHaveLength(2)
    expect(sessions.every((session) => session.isPrivate && session.claims.sub === ALICE && session.role === 'authenticated')).toBe(true)
    // With ack the server answers only a send it accepted: the INSERT policy let Alice write.
    expect(await onPhone.send('note', { text: 'pipe 7 done' })).toBe('ok')
    await waitFor(() => heard.length === 1, 5000, 'the broadcast on the desk')
    expect(heard).toEqual([{ text: 'pipe 7 done' }])
    let deskSees: string[] = []
    onDesk.onPresence(() => (deskSees = Object.keys(onDesk.realtimeChannel()?.presenceState() ?? {})))
    expect(await onPhone.realtimeChannel()!.track({ on: 'site' })).toBe('ok')
    await waitFor(() => deskSees.includes('alice-phone'), 5000, 'the phone in the presence state on the desk')
    expect(phone.errors).toEqual([])
    expect(desk.errors).toEqual([])
  })
})

describe('a non-member', () => {
  it("is refused: UNAUTHORIZED with the server's reason and status 'errored', one join, retried once the token changes", async () => {
    const joins = countJoins('room:r1')
    const carol = signedIn(tokenOf(CAROL))
    const room = carol.sync.channel('room:r1', { private: true })
    await waitFor(() => unauthorized(carol.errors).length > 0, 10_000, 'UNAUTHORIZED')
    const reason = 'Unauthorized: You do not have permissions to read from this Channel topic: room:r1'
    const [error] = unauthorized(carol.errors)
    expect(error!.reason).toBe(reason)
    expect(error!.message).toContain(reason)
    expect(error!.message).toMatch(/retries it as soon as a different access token arrives/)
    expect(room.status.get()).toBe('errored')
    expect(room.error).toBe(error)
    // realtime-js alone retries a refused join after 1, 2, 5, 10 s… and the heartbeats ask for the token 15 times:
    // still the one join, the one report.
    await watch(WATCH_MS)
    expect(joins.count).toBe(1)
    expect(unauthorized(carol.errors)).toHaveLength(1)
    expect(room.status.get()).toBe('errored')
    // The same user's next token changes nothing for the policies, but it is a new token: one more try, one refusal.
    carol.auth.token = tokenOf(CAROL)
    await waitFor(() => unauthorized(carol.errors).length === 2, 10_000, 'the refusal of the refreshed token')
    await watch(WATCH_MS / 2)
    expect(joins.count).toBe(2)
    // A user switch to a member: joined with her token, on the next heartbeat's token check.
    carol.auth.token = tokenOf(ALICE)
    await joined(room, 'joined as a member')
    expect(joins.count).toBe(3)
    expect(room.error).toBeUndefined()
    expect(sessionsOf('room:r1').map((session) => session.claims.sub)).toEqual([ALICE])
  }, 30_000)

  it('joins once added to the room and her session refreshes', async () => {
    const joins = countJoins('room:r2')
    const carol = signedIn(tokenOf(CAROL))
    const room = carol.sync.channel('room:r2', { private: true })
    await waitFor(() => room.error?.code === 'UNAUTHORIZED', 10_000, 'the refusal')
    await stack.query(`insert into room_members values ('r2', '${CAROL}', 'member')`)
    cleanups.push(() => stack.query(`delete from room_members where user_id = '${CAROL}'`))
    carol.auth.token = tokenOf(CAROL)
    await joined(room, 'joined after the refresh')
    expect(joins.count).toBe(2)
  })
})

describe('token refreshes of a joined private room', () => {
  it('re-authorize it in place while access remains; losing access closes it with the reason, not rejoined; access back and a new token rejoin', async () => {
    await stack.query(`insert into room_members values ('r2', '${DAVE}', 'member')`)
    cleanups.push(() => stack.query(`delete from room_members where user_id = '${DAVE}'`))
    // Dave's other device, before the count starts: only the sockets opened from now on are counted.
    const peer = await plainRoom(await plainClient(DAVE), 'room:r2', true)
    const joins = countJoins('room:r2')
    const dave = signedIn(tokenOf(DAVE))
    const room = dave.sync.channel('room:r2', { private: true })
    const heard: string[] = []
    room.on('*', (_payload, message) => heard.push(message.event))
    await joined(room, 'dave joined')
    const statuses = statusLog(room)
    const leavesBefore = dave.sync.metrics().counters.leaves

    // 1. A refresh: the new token is pushed to the joined channel, the server re-checks it and keeps the channel.
    const refreshed = tokenOf(DAVE)
    dave.auth.token = refreshed
    await waitFor(() => sessionsOf('room:r2').some((session) => session.token === refreshed), 5000, 'the server to hold the refreshed token')
    expect(await peer.send('after-refresh')).toBe('ok')
    await waitFor(() => heard.includes('after-refresh'), 5000, 'a broadcast after the refresh')
    expect(statuses).toEqual([])
    expect(joins.count).toBe(1)
    expect(dave.sync.metrics().counters.leaves).toBe(leavesBefore)

    // 2. Dave leaves the room; his next refresh is re-checked and the server closes the channel with its reason.
    await stack.query(`delete from room_members where room_id = 'r2' and user_id = '${DAVE}'`)
    dave.auth.token = tokenOf(DAVE)
    await waitFor(() => unauthorized(dave.errors).length === 1, 10_000, 'the loss of access reported')
    const [error] = unauthorized(dave.errors)
    expect(error!.reason).toBe('You do not have permissions to read from this Channel topic: room:r2')
    expect(room.status.get()).toBe('errored')
    expect(room.error).toBe(error)
    await watch(WATCH_MS)
    expect(joins.count).toBe(1)
    expect(sessionsOf('room:r2').filter((session) => session.claims.sub === DAVE)).toHaveLength(1) // the peer's
    expect(unauthorized(dave.errors)).toHaveLength(1)

    // 3. Added back, and a new token: joined again, broadcasts flow.
    await stack.query(`insert into room_members values ('r2', '${DAVE}', 'member')`)
    dave.auth.token = tokenOf(DAVE)
    await joined(room, 'rejoined with access back')
    expect(joins.count).toBe(2)
    expect(await peer.send('welcome-back')).toBe('ok')
    await waitFor(() => heard.includes('welcome-back'), 5000, 'a broadcast after the rejoin')
  }, 40_000)
})

describe('token expiry', () => {
  it('the server closes the private room when the token expires; it rejoins with a fresh token from the callback', async () => {
    const joins = countJoins('room:r1')
    const errors: SupasyncError[] = []
    let expired = false
    const short = tokenOf(ALICE, 3)
    const long = tokenOf(ALICE)
    // The callback answers the short token until the expiry was reported, then a fresh one (as a session refresh).
    const alice = signedIn(short, { onError: (error) => (errors.push(error), (expired ||= /Token has expired/.test(error.reason ?? ''))) })
    Object.defineProperty(alice.auth, 'token', { get: () => (expired ? long : short) })
    const room = alice.sync.channel('room:r1', { private: true })
    const heard: string[] = []
    room.on('*', (_payload, message) => heard.push(message.event))
    await joined(room, 'joined with the short token')
    expect(sessionsOf('room:r1')[0]!.token).toBe(short)
    const statuses = statusLog(room)
    await waitFor(() => expired, 10_000, 'the expiry close')
    expect(errors[0]).toMatchObject({ code: 'SUBSCRIPTION_FAILED' })
    expect(errors[0]!.reason).toMatch(/^Token has expired \d+ seconds ago$/)
    await joined(room, 'rejoined with the fresh token')
    expect(statuses).toEqual(['errored', 'joining', 'joined'])
    expect(sessionsOf('room:r1').map((session) => session.token)).toEqual([long])
    expect(joins.count).toBe(2)
    const peer = await plainRoom(await plainClient(ALICE), 'room:r1', true)
    expect(await peer.send('after-expiry')).toBe('ok')
    await waitFor(() => heard.includes('after-expiry'), 5000, 'a broadcast after the rejoin')
    expect(errors).toHaveLength(1)
  }, 20_000)
})

describe('a private and a public room of one topic', () => {
  it('cannot both be held: CONFIG_CONFLICT says why and how to fix it', async () => {
    const alice = signedIn(tokenOf(ALICE))
    const publicRoom = alice.sync.channel('room:r1', { private: false })
    const error = thrown(() => alice.sync.channel('room:r1', { private: true })) as SupasyncError
    expect(error).toBeInstanceOf(SupasyncError)
    expect(error.code).toBe('CONFIG_CONFLICT')
    expect(error.message).toMatch(/held as a public channel, so it cannot be opened as a private one now/)
    expect(error.message).toMatch(/one realtime connection carries one channel per topic\. Use two topic names/)
    await joined(publicRoom, 'the public room')
    expect(sessionsOf('room:r1').map((session) => session.isPrivate)).toEqual([false])
  })

  it('one released and the other opened within the grace period: a new channel each time, and nothing of one reaches the other', async () => {
    const alice = signedIn(tokenOf(ALICE), { graceMs: 30_000 })
    const member = await plainRoom(await plainClient(ALICE), 'room:r1', true)
    const stranger = await plainRoom(await plainClient(), 'room:r1', false)
    const publicRoom = alice.sync.channel('room:r1', { private: false })
    await joined(publicRoom, 'the public room')
    publicRoom.release()
    const privateRoom = alice.sync.channel('room:r1', { private: true })
    const privateHeard: string[] = []
    privateRoom.on('*', (_payload, message) => privateHeard.push(message.event))
    await joined(privateRoom, 'the private room')
    expect(alice.supabase.getChannels().map((channel) => channel.private)).toEqual([true])
    // With ack, the server answers a send after its fan-out, and frames reach Alice's socket in order: the public
    // broadcast, had it been delivered, would arrive before the private one that was sent after it.
    expect(await stranger.send('public-1')).toBe('ok')
    expect(await member.send('private-1')).toBe('ok')
    await waitFor(() => privateHeard.includes('private-1'), 5000, 'the private broadcast')
    expect(privateHeard).toEqual(['private-1'])

    privateRoom.release()
    const publicAgain = alice.sync.channel('room:r1', { private: false })
    const publicHeard: string[] = []
    publicAgain.on('*', (_payload, message) => publicHeard.push(message.event))
    await joined(publicAgain, 'the public room again')
    expect(alice.supabase.getChannels().map((channel) => channel.private)).toEqual([false])
    expect(await member.send('private-2')).toBe('ok')
    expect(await stranger.send('public-2')).toBe('ok')
    await waitFor(() => publicHeard.includes('public-2'), 5000, 'the public broadcast')
    expect(publicHeard).toEqual(['public-2'])
    expect(alice.errors).toEqual([])
  })
})
