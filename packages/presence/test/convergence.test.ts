import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { systemTimers } from '@supasync/core'
import { createPresence, type PresenceRoom, type PresenceState } from '../src/index.js'
import { syncFor, waitFor } from './helpers.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})

const summary = <S extends PresenceState>(room: PresenceRoom<S>) => room.members.get().map((m) => `${m.key}:${m.status}:${m.connections}`)
const stateOf = <S extends PresenceState>(room: PresenceRoom<S>, key: string) => room.members.get().find((m) => m.key === key)?.state

describe('convergence', () => {
  it('two members see each other with their state, merged per key', async () => {
    const a = syncFor(stack)
    const b = syncFor(stack)
    try {
      const ann = createPresence(a.sync, 'wedding:1', { key: 'ann', state: { name: 'Ann', role: 'photographer' } })
      const bob = createPresence(b.sync, 'wedding:1', { key: 'bob', state: { name: 'Bob', role: 'caterer' } })
      await waitFor(() => summary(ann).length === 2 && summary(bob).length === 2, 5000, 'both members on both sides')
      expect(stateOf(ann, 'bob')).toEqual({ name: 'Bob', role: 'caterer' })
      expect(bob.members.get().find((m) => m.key === 'ann')).toMatchObject({
        state: { name: 'Ann', role: 'photographer' },
        status: 'online',
        connections: 1,
        typing: false,
        self: false,
      })
      expect(ann.members.get().find((m) => m.key === 'ann')!.self).toBe(true)
      ann.update({ task: 'first dance' })
      expect(ann.state).toEqual({ name: 'Ann', role: 'photographer', task: 'first dance' })
      await waitFor(() => (stateOf(bob, 'ann') as { task?: string } | undefined)?.task === 'first dance', 5000, 'the update')
      expect(stateOf(bob, 'ann')).toEqual({ name: 'Ann', role: 'photographer', task: 'first dance' })
      ann.update(() => ({ name: 'Ann' }))
      await waitFor(() => JSON.stringify(stateOf(bob, 'ann')) === '{"name":"Ann"}', 5000, 'the replacement')
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('lastSeen is wall time, also after the wall clock was set an hour ahead of the timer clock', async () => {
    const HOUR = 3_600_000
    // A port whose wall clock reads an hour later than its never-backward clock: as after the user set the clock.
    const a = syncFor(stack, { ports: { timers: { ...systemTimers, wallNow: () => Date.now() + HOUR } } })
    try {
      const ann = createPresence(a.sync, 'wedding:clock', { key: 'ann', state: { name: 'Ann' } })
      await waitFor(() => ann.members.get().length === 1, 5000, 'own entry')
      const lastSeen = ann.members.get()[0]!.lastSeen
      expect(Math.abs(lastSeen - (Date.now() + HOUR))).toBeLessThan(10_000)
    } finally {
      await a.close()
    }
  })

  it('fifty members converge', async () => {
    const count = 50
    const clients = Array.from({ length: count }, () => syncFor(stack))
    try {
      const rooms = clients.map((client, index) => createPresence(client.sync, 'wedding:50', { key: `m${index}`, state: { index } }))
      await waitFor(
        () => rooms.every((room) => room.members.get().length === count && room.members.get().every((m) => m.status === 'online')),
        20_000,
        'every client to list all 50 members online',
      )
      const keys = new Set(rooms[7]!.members.get().map((m) => m.key))
      expect(keys.size).toBe(count)
      expect(rooms[7]!.members.get().find((m) => m.key === 'm33')!.state).toEqual({ index: 33 })
      expect(clients.every((client) => client.sync.metrics().counters.recreated === 0)).toBe(true)
    } finally {
      await Promise.all(clients.map((client) => client.close()))
    }
  })

  it('merges several tabs of one key into one member that counts its connections', async () => {
    const tab1 = syncFor(stack)
    const tab2 = syncFor(stack)
    const observer = syncFor(stack)
    try {
      const watch = createPresence(observer.sync, 'wedding:tabs', { key: 'dora', reconnectGraceMs: 200 })
      const first = createPresence(tab1.sync, 'wedding:tabs', { key: 'carol', state: { device: 'phone' } })
      await waitFor(() => summary(watch).includes('carol:online:1'), 5000, 'first tab')
      const second = createPresence(tab2.sync, 'wedding:tabs', { key: 'carol', state: { device: 'laptop' } })
      await waitFor(() => summary(watch).includes('carol:online:2'), 5000, 'second tab merged')
      expect(summary(watch).filter((line) => line.startsWith('carol:'))).toHaveLength(1)
      expect(stateOf(watch, 'carol')).toEqual({ device: 'laptop' })
      // The tab that changed last wins the member's state.
      first.update({ task: 'speeches' })
      await waitFor(() => JSON.stringify(stateOf(watch, 'carol')) === '{"device":"phone","task":"speeches"}', 5000, 'latest tab wins')
      // Each tab sees itself merged too.
      await waitFor(() => second.members.get().find((m) => m.key === 'carol')?.connections === 2, 5000, 'merged on the tab itself')
      first.leave()
      await waitFor(() => summary(watch).includes('carol:online:1'), 5000, 'one tab left')
      expect(stateOf(watch, 'carol')).toEqual({ device: 'laptop' })
      second.leave()
      await waitFor(() => summary(watch).includes('carol:offline:0'), 5000, 'offline once both left')
      expect(watch.members.get().find((m) => m.key === 'carol')!.lastSeen).toBeGreaterThan(0)
    } finally {
      await Promise.all([tab1.close(), tab2.close(), observer.close()])
    }
  })
})

describe('the presence rate limit', () => {
  it('is enforced by the local stack (control: six raw tracks in a row close the channel)', async () => {
    const a = syncFor(stack)
    try {
      const room = a.sync.channel('raw-limit', { presence: { key: 'raw' } })
      await waitFor(() => room.status.get() === 'joined', 5000)
      const channel = room.realtimeChannel()!
      for (let call = 1; call <= 5; call++) expect(await channel.track({ call })).toBe('ok')
      void channel.track({ call: 6 })
      await waitFor(() => a.sync.metrics().counters.recreated >= 1, 5000, 'the server to close the channel')
    } finally {
      await a.close()
    }
  })

  it('coalesces a burst of 20 updates in 2 s into a few calls, never trips the limit, and delivers the final state', async () => {
    const a = syncFor(stack)
    const b = syncFor(stack)
    try {
      const ann = createPresence(a.sync, 'burst', { key: 'ann', state: { n: -1 } })
      const bob = createPresence(b.sync, 'burst', { key: 'bob' })
      await waitFor(() => stateOf(bob, 'ann') !== undefined && stateOf(ann, 'bob') !== undefined, 5000, 'converged')
      const waits: { type: string; topic?: string; ms?: number }[] = []
      const off = a.sync.onEvent((event) => event.type === 'presence-wait' && waits.push(event))
      let maxInWindow = 0
      for (let n = 0; n < 20; n++) {
        ann.update({ n })
        maxInWindow = Math.max(maxInWindow, ann.diagnostics().callsInWindow)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await waitFor(() => (stateOf(bob, 'ann') as { n: number }).n === 19, 10_000, 'the final state')
      maxInWindow = Math.max(maxInWindow, ann.diagnostics().callsInWindow)
      expect(maxInWindow).toBeLessThanOrEqual(4)
      expect(ann.diagnostics().calls).toBeLessThanOrEqual(4)
      expect(a.sync.metrics().counters.recreated).toBe(0)
      expect(a.errors).toEqual([])
      // The coalescing waits were reported through sync.onEvent.
      expect(waits.length).toBeGreaterThan(0)
      expect(waits[0]).toMatchObject({ type: 'presence-wait', topic: 'burst', ms: expect.any(Number) })
      off()
      // Still joined on the original channel: the server never shut it down.
      expect(ann.status.get()).toBe('joined')
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a room left and re-acquired within the grace period keeps spending the same server budget', async () => {
    const a = syncFor(stack, { graceMs: 5000 })
    const b = syncFor(stack)
    try {
      const bob = createPresence(b.sync, 'regrace', { key: 'bob' })
      let ann = createPresence(a.sync, 'regrace', { key: 'ann', state: { n: 0 } })
      await waitFor(() => stateOf(bob, 'ann') !== undefined, 5000, 'converged')
      ann.update({ n: 1 })
      await waitFor(() => (stateOf(bob, 'ann') as { n: number } | undefined)?.n === 1, 5000, 'first update')
      ann.leave()
      // Within the pool's grace the same server channel is reused: track, update, untrack already counted there.
      ann = createPresence(a.sync, 'regrace', { key: 'ann', state: { n: 2 } })
      for (let n = 3; n < 8; n++) {
        ann.update({ n })
        await new Promise((resolve) => setTimeout(resolve, 300))
      }
      await waitFor(() => (stateOf(bob, 'ann') as { n: number } | undefined)?.n === 7, 40_000, 'the final state')
      expect(a.sync.metrics().counters.recreated).toBe(0)
      expect(ann.status.get()).toBe('joined')
    } finally {
      await a.close()
      await b.close()
    }
  }, 60_000)

  it('typing rides in the tracked payload: repeated setTyping(true) costs one call, the expiry one more', async () => {
    const a = syncFor(stack)
    const b = syncFor(stack)
    try {
      const ann = createPresence(a.sync, 'typing', { key: 'ann', typingTimeoutMs: 600 })
      const bob = createPresence(b.sync, 'typing', { key: 'bob' })
      await waitFor(() => stateOf(bob, 'ann') !== undefined && ann.diagnostics().calls === 1, 5000, 'converged')
      // Let the minimum interval after the initial track pass, so the typing call goes out at once.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      for (let keystroke = 0; keystroke < 20; keystroke++) {
        ann.setTyping(true)
        await new Promise((resolve) => setTimeout(resolve, 40))
      }
      await waitFor(() => bob.typing.get().includes('ann'), 5000, 'ann typing at bob')
      expect(ann.diagnostics().calls).toBe(2)
      expect(ann.typing.get()).toEqual([])
      await waitFor(() => bob.typing.get().length === 0, 5000, 'typing to expire by itself')
      expect(ann.diagnostics().calls).toBe(3)
      expect(bob.members.get().find((m) => m.key === 'ann')!.typing).toBe(false)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
