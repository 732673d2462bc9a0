import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createPresence, type PresenceRoom, type PresenceState } from '../src/index.js'
import { LEAVE_EVENT, LEAVE_SIGNAL_TTL_MS } from '../src/LeaveSignals.js'
import { manualClock, settle, syncFor, waitFor } from './helpers.js'

// Issue #16.5: a deliberate leave() is shown by the others at once; a dropped socket keeps its reconnect grace.
// The watchers run on manual clocks that stand still unless a test moves them: whatever they show before that
// cannot come from their grace timer.

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
  // Private topics for anon: both may be read and tracked on; only "announced" may also be broadcast to.
  await stack.query(`
    create policy "leave tests read" on realtime.messages for select to anon
      using ((select realtime.topic()) like 'leave-private-%');
    create policy "leave tests write" on realtime.messages for insert to anon
      with check ((select realtime.topic()) like 'leave-private-%'
        and (realtime.messages.extension = 'presence' or (select realtime.topic()) = 'leave-private-announced'));
  `)
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  await stack.faults.reset()
})

const member = <S extends PresenceState>(room: PresenceRoom<S>, key: string) => room.members.get().find((m) => m.key === key)
const serverState = (topic: string, isPrivate = false) => stack.realtime.presenceState(`realtime:${topic}`, { private: isPrivate })

/** Each change of the status and connections `room` shows for `key` from now on (`status:connections`). */
function history<S extends PresenceState>(room: PresenceRoom<S>, key: string): string[] {
  const line = () => `${member(room, key)?.status ?? 'gone'}:${member(room, key)?.connections ?? 0}`
  const seen: string[] = []
  let last = line()
  room.members.subscribe(() => {
    if (line() !== last) seen.push((last = line()))
  })
  return seen
}

/** Leave signals `room`'s channel receives from now on. */
function signalsAt<S extends PresenceState>(room: PresenceRoom<S>): unknown[] {
  const signals: unknown[] = []
  room.channel.on(LEAVE_EVENT, (payload) => signals.push(payload))
  return signals
}

/** A client (one tab) whose sockets the test can kill: `syncFor` with a ws transport that keeps its sockets. */
function tab(options: Parameters<typeof syncFor>[1] = {}) {
  const sockets: WebSocket[] = []
  class KeptWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      sockets.push(this)
    }
  }
  const client = syncFor(stack, options, { realtime: { transport: KeptWebSocket } })
  return {
    ...client,
    /**
     * Kills the socket without a close frame (a network loss, a killed tab) and, with `forGood`, destroys the supasync
     * instance before realtime-js reconnects: the server drops its presence, and nothing announces a leave.
     */
    async dropSocket(forGood: boolean): Promise<void> {
      const open = sockets.filter((socket) => socket.readyState === WebSocket.OPEN)
      if (open.length !== 1) throw new Error(`dropSocket: expected one open socket, found ${open.length}`)
      open[0]!.terminate()
      if (forGood) await client.close()
    },
  }
}

describe('a deliberate leave (issue #16.5)', () => {
  it('is shown by the others at once, not after their reconnect grace; the signal costs no presence call', async () => {
    const a = syncFor(stack, { graceMs: 100 })
    const b = syncFor(stack)
    try {
      const clockB = manualClock()
      const ann = createPresence(a.sync, 'leave-basic', { key: 'ann', state: { name: 'Ann' } })
      const bob = createPresence(b.sync, 'leave-basic', { key: 'bob', ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.status === 'online' && serverState('leave-basic').ann !== undefined, 5000, 'bob sees ann')
      const entry = serverState('leave-basic').ann!.metas[0] as unknown as { conn: string; phx_ref: string }
      const signals = signalsAt(bob)
      const seen = history(bob, 'ann')
      const leftAt = clockB.now()
      expect(ann.diagnostics().calls).toBe(1)

      ann.leave()
      await waitFor(() => member(bob, 'ann')?.status === 'offline', 5000, 'bob to show ann offline')
      expect(clockB.now()).toBe(leftAt) // no time passed on bob's clock: not the grace
      expect(member(bob, 'ann')).toMatchObject({ status: 'offline', connections: 0, lastSeen: leftAt, state: { name: 'Ann' } })
      expect(seen).toEqual(['offline:0'])
      expect(signals).toHaveLength(1)
      expect(signals[0]).toMatchObject({ key: 'ann', conn: entry.conn })
      // One track and the spare untrack; the broadcast is no presence call.
      expect(ann.diagnostics()).toMatchObject({ calls: 2, timers: 0, listeners: 0, leaveSignals: 0 })
      // The signal did its work and is forgotten; only the retention deadline is pending on bob's side.
      expect(bob.diagnostics()).toMatchObject({ leaveSignals: 0, timers: 1 })
      clockB.advance(300_000)
      expect(member(bob, 'ann')).toBeUndefined()
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a dropped socket that never comes back still waits out reconnectGraceMs', async () => {
    const a = tab()
    const b = syncFor(stack)
    try {
      const clockB = manualClock()
      createPresence(a.sync, 'leave-dropped', { key: 'ann' })
      const bob = createPresence(b.sync, 'leave-dropped', { key: 'bob', reconnectGraceMs: 10_000, ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.status === 'online', 5000, 'bob sees ann')
      const signals = signalsAt(bob)
      const goneAt = clockB.now()
      await a.dropSocket(true)
      await waitFor(() => serverState('leave-dropped').ann === undefined, 5000, 'the server to drop ann')
      await settle()
      expect(member(bob, 'ann')).toMatchObject({ status: 'online', connections: 1 })
      clockB.advance(9_999)
      expect(member(bob, 'ann')!.status).toBe('online')
      clockB.advance(1)
      expect(member(bob, 'ann')).toMatchObject({ status: 'offline', connections: 0, lastSeen: goneAt })
      expect(signals).toEqual([])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('leaving one tab keeps the member online on its other tab; leaving the last one shows it offline at once', async () => {
    const tab1 = syncFor(stack, { graceMs: 100 })
    const tab2 = syncFor(stack, { graceMs: 100 })
    const b = syncFor(stack)
    try {
      const clockB = manualClock()
      const clock2 = manualClock()
      const first = createPresence(tab1.sync, 'leave-tabs', { key: 'ann', state: { tab: 1 } })
      const second = createPresence(tab2.sync, 'leave-tabs', { key: 'ann', state: { tab: 2 }, ports: { timers: clock2 } })
      const bob = createPresence(b.sync, 'leave-tabs', { key: 'bob', ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.connections === 2 && member(second, 'ann')?.connections === 2, 5000, 'both tabs seen')
      const seen = history(bob, 'ann')

      first.leave()
      await waitFor(() => member(bob, 'ann')?.connections === 1 && member(second, 'ann')?.connections === 1, 5000, 'one tab left, seen at once')
      expect(member(bob, 'ann')).toMatchObject({ status: 'online', state: { tab: 2 } })
      expect(seen.every((line) => line.startsWith('online'))).toBe(true)

      second.leave()
      await waitFor(() => member(bob, 'ann')?.status === 'offline', 5000, 'the last tab left, seen at once')
      expect(seen).toEqual(['online:1', 'offline:0'])
    } finally {
      await tab1.close()
      await tab2.close()
      await b.close()
    }
  })

  it('left and created again at once with other options (same key): no leave signal, no flash', async () => {
    const a = syncFor(stack, { graceMs: 2000 })
    const b = syncFor(stack)
    try {
      const clockB = manualClock()
      const first = createPresence(a.sync, 'leave-remount', { key: 'ann', reconnectGraceMs: 10_000 })
      const bob = createPresence(b.sync, 'leave-remount', { key: 'bob', ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.status === 'online', 5000, 'bob sees ann')
      const signals = signalsAt(bob)
      const seen = history(bob, 'ann')
      const conn = (serverState('leave-remount').ann!.metas[0] as unknown as { conn: string }).conn

      first.leave()
      // Other options replace the engine kept by the grace period: the old entry is untracked, a new one tracked.
      const second = createPresence(a.sync, 'leave-remount', { key: 'ann', reconnectGraceMs: 5000 })
      await waitFor(() => serverState('leave-remount').ann?.metas.some((entry) => (entry as unknown as { conn: string }).conn !== conn) === true, 5000, 'the new entry')
      await waitFor(() => serverState('leave-remount').ann?.metas.length === 1, 5000, 'the old entry untracked')
      await waitFor(() => member(bob, 'ann')?.connections === 2, 5000, 'bob to list the new entry (the old one lingers)')
      expect(seen.every((line) => line.startsWith('online'))).toBe(true)
      expect(signals).toEqual([])
      second.leave()
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('forged and lost leave signals', () => {
  async function forger(topic: string) {
    const mallory = stack.createClient()
    const channel = mallory.channel(topic)
    await new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()))
    return {
      forge: (payload: unknown) => channel.send({ type: 'broadcast', event: LEAVE_EVENT, payload }),
      close: () => mallory.removeAllChannels(),
    }
  }

  it(`a forged signal hides nobody, and after ${LEAVE_SIGNAL_TTL_MS} ms a real drop of its victim gets the full grace`, async () => {
    const a = tab()
    const b = syncFor(stack)
    const mallory = await forger('leave-forged')
    try {
      const clockB = manualClock()
      createPresence(a.sync, 'leave-forged', { key: 'ann' })
      const bob = createPresence(b.sync, 'leave-forged', { key: 'bob', ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.status === 'online' && serverState('leave-forged').ann !== undefined, 5000, 'bob sees ann')
      const entry = serverState('leave-forged').ann!.metas[0] as unknown as { conn: string; phx_ref: string }
      const signals = signalsAt(bob)
      const seen = history(bob, 'ann')

      await mallory.forge({ key: 'ann', conn: entry.conn, ref: entry.phx_ref })
      await mallory.forge({ key: 'bob', conn: entry.conn }) // ann's connection under another key: ignored
      await waitFor(() => signals.length === 2, 5000, 'bob to receive both forged signals')
      await settle()
      expect(member(bob, 'ann')).toMatchObject({ status: 'online', connections: 1 })
      expect(seen).toEqual([])
      expect(bob.diagnostics().leaveSignals).toBe(1)

      clockB.advance(LEAVE_SIGNAL_TTL_MS)
      const goneAt = clockB.now()
      await a.dropSocket(true)
      await waitFor(() => serverState('leave-forged').ann === undefined, 5000, 'the server to drop ann')
      await settle()
      expect(member(bob, 'ann')).toMatchObject({ status: 'online', connections: 1 })
      expect(bob.diagnostics().leaveSignals).toBe(0)
      clockB.advance(10_000)
      expect(member(bob, 'ann')).toMatchObject({ status: 'offline', lastSeen: goneAt })
    } finally {
      await mallory.close()
      await a.close()
      await b.close()
    }
  })

  it('the documented limit: a real drop within the window of a forged signal shows its victim offline early, until it tracks again', async () => {
    const a = tab()
    const b = syncFor(stack)
    const mallory = await forger('leave-forged-drop')
    try {
      const clockB = manualClock()
      createPresence(a.sync, 'leave-forged-drop', { key: 'ann' })
      const bob = createPresence(b.sync, 'leave-forged-drop', { key: 'bob', ports: { timers: clockB } })
      await waitFor(() => member(bob, 'ann')?.status === 'online' && serverState('leave-forged-drop').ann !== undefined, 5000, 'bob sees ann')
      const entry = serverState('leave-forged-drop').ann!.metas[0] as unknown as { conn: string }
      const signals = signalsAt(bob)
      const seen = history(bob, 'ann')
      await mallory.forge({ key: 'ann', conn: entry.conn })
      await waitFor(() => signals.length === 1, 5000, 'bob to receive the forged signal')

      // ann's socket drops; realtime-js reconnects and supasync tracks her again.
      await a.dropSocket(false)
      await waitFor(() => seen.includes('offline:0'), 5000, 'the early offline')
      await waitFor(() => member(bob, 'ann')?.status === 'online' && member(bob, 'ann')?.connections === 1, 15_000, 'ann back after her reconnect')
      expect(seen.at(-1)).toBe('online:1')
    } finally {
      await mallory.close()
      await a.close()
      await b.close()
    }
  }, 30_000)

  /** ann and bob on a private topic; ann leaves. bob's clock stands still until the test moves it. */
  async function privateLeave(topic: string, wait: (bob: PresenceRoom<PresenceState>) => boolean) {
    const a = syncFor(stack, { graceMs: 100 })
    const b = syncFor(stack)
    const clockB = manualClock()
    const ann = createPresence(a.sync, topic, { key: 'ann', channel: { private: true } })
    const bob = createPresence(b.sync, topic, { key: 'bob', reconnectGraceMs: 10_000, channel: { private: true }, ports: { timers: clockB } })
    await waitFor(() => member(bob, 'ann')?.status === 'online', 5000, `bob sees ann on ${topic}`)
    const signals = signalsAt(bob)
    ann.leave()
    await waitFor(() => serverState(topic, true).ann === undefined, 5000, `the untrack on ${topic}`)
    await waitFor(() => wait(bob), 5000, `bob to take the leave on ${topic}`)
    return { bob, clockB, signals, close: async () => (await a.close(), await b.close()) }
  }

  it('on a private channel with a broadcast write policy the leave is shown at once', async () => {
    const { bob, signals, close } = await privateLeave('leave-private-announced', (room) => member(room, 'ann')?.status === 'offline')
    try {
      expect(member(bob, 'ann')).toMatchObject({ status: 'offline', connections: 0 })
      expect(signals).toHaveLength(1)
    } finally {
      await close()
    }
  })

  it('without a broadcast write policy the server drops the signal: the leave waits out the grace, as before', async () => {
    // The server drops the signal (no write policy) before it takes the untrack sent after it on the same socket, so
    // once bob holds ann's vanished entry (a lingering connection holds a deadline timer) no signal is coming.
    const { bob, clockB, signals, close } = await privateLeave('leave-private-quiet', (room) => room.diagnostics().timers > 0)
    try {
      expect(member(bob, 'ann')).toMatchObject({ status: 'online', connections: 1 })
      expect(signals).toEqual([])
      clockB.advance(9_999)
      expect(member(bob, 'ann')!.status).toBe('online')
      clockB.advance(1)
      expect(member(bob, 'ann')).toMatchObject({ status: 'offline', connections: 0 })
    } finally {
      await close()
    }
  })
})
