/**
 * Two tabs, one outbox: with Web Locks and a BroadcastChannel (fakes here with the browsers' semantics; the e2e test
 * runs the real ones in Chromium) only one queue sends, every write goes out once, and both show the same pending.
 */
import { describe, expect, it } from 'vitest'
import { createQueue, memoryStorage, type ChannelLike, type CrossTabPorts, type Queue, type QueueExecutor } from '../src/index.js'
import { scriptedExecutor, testPorts, waitFor } from './helpers.js'

/** Web Locks: one holder per name, the next waiting request is granted when it lets go (or aborts while waiting). */
function fakeLocks() {
  const queues = new Map<string, { grant: () => void; signal?: AbortSignal }[]>()
  const held = new Set<string>()
  const next = (name: string) => {
    if (held.has(name)) return
    const waiting = queues.get(name) ?? []
    const request = waiting.shift()
    if (request) request.grant()
  }
  return {
    request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const entry = {
          signal: options.signal,
          grant: () => {
            held.add(name)
            void callback({ name }).finally(() => {
              held.delete(name)
              resolve(undefined)
              next(name)
            })
          },
        }
        const waiting = queues.get(name) ?? []
        queues.set(name, waiting)
        waiting.push(entry)
        options.signal?.addEventListener('abort', () => {
          const index = waiting.indexOf(entry)
          if (index >= 0) {
            waiting.splice(index, 1)
            reject(new DOMException('aborted', 'AbortError'))
          }
        })
        next(name)
      })
    },
  }
}

/** BroadcastChannel: a message reaches every other open channel of the name, asynchronously, never its sender. */
function fakeChannels() {
  const open = new Map<string, Set<{ deliver: (data: unknown) => void }>>()
  return (name: string): ChannelLike => {
    const listeners = new Set<(event: { data: unknown }) => void>()
    const self = { deliver: (data: unknown) => listeners.forEach((listener) => listener({ data })) }
    const peers = open.get(name) ?? new Set()
    open.set(name, peers)
    peers.add(self)
    return {
      postMessage: (data) => {
        for (const peer of peers) if (peer !== self) setTimeout(() => peer.deliver(data), 0)
      },
      addEventListener: (_type, listener) => listeners.add(listener),
      removeEventListener: (_type, listener) => listeners.delete(listener),
      close: () => peers.delete(self),
    }
  }
}

describe('one outbox, two tabs', () => {
  it('only the lock holder sends; every write goes once; both show the same pending; the other takes over when it closes', async () => {
    const crossTab: CrossTabPorts = { locks: fakeLocks(), channel: fakeChannels() }
    const storage = memoryStorage()
    const sent = scriptedExecutor()
    const make = (): Queue => createQueue({ executor: sent.executor, storage, ports: testPorts(), crossTab, batchDelayMs: 0 })
    const first = make()
    const second = make()
    await Promise.all([first.ready, second.ready])
    sent.requests.length = 0
    // Both tabs enqueue while offline for the server (the executor would fail): hold sends by going offline in both.
    await second.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 'a', milestone: 'welded' }] })
    await first.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 'b', milestone: 'tested' }] })
    await waitFor(() => first.status.get().pending === 0 && second.status.get().pending === 0, 3000, 'both drained')
    // Sent once each, all by the first queue (the lock holder), including the one the second tab enqueued.
    const ids = () => sent.requests.flatMap((r) => ((r.request as { rows?: { id: string }[] }).rows ?? []).map((row) => row.id)).sort()
    expect(ids()).toEqual(['a', 'b'])
    first.destroy()
    // The second tab is the sender now.
    await second.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 'c', milestone: 'done' }] })
    await waitFor(() => second.status.get().pending === 0, 3000, 'the second tab sends after the first closed')
    expect(ids()).toEqual(['a', 'b', 'c'])
    second.destroy()
  })

  it('a follower shows the writes the sender cannot send yet, and loses them from pending once they are sent', async () => {
    const crossTab: CrossTabPorts = { locks: fakeLocks(), channel: fakeChannels() }
    const storage = memoryStorage()
    const leaderPorts = testPorts()
    const sent = scriptedExecutor()
    const leader = createQueue({ executor: sent.executor, storage, ports: leaderPorts, crossTab, batchDelayMs: 0 })
    await leader.ready
    const follower = createQueue({ executor: sent.executor, storage, ports: testPorts(), crossTab, batchDelayMs: 0 })
    await follower.ready
    leaderPorts.network.set(false)
    for (const id of ['x', 'y', 'z']) await follower.enqueue({ table: 'components', type: 'upsert', rows: [{ id, milestone: 'welded' }] })
    await waitFor(() => leader.status.get().pending === 3, 3000, 'the sender sees the follower\'s writes')
    expect(follower.status.get().pending).toBe(3)
    expect(sent.requests).toHaveLength(0)
    // flush() in a tab that does not send resolves with what is still pending, rather than hanging.
    expect(await follower.flush()).toMatchObject({ pending: 3 })
    leaderPorts.network.set(true)
    await waitFor(() => leader.status.get().pending === 0 && follower.status.get().pending === 0, 3000, 'both drained')
    expect(sent.requests).toHaveLength(1) // one batched request for the three upserts
    leader.destroy()
    follower.destroy()
    expect(leader.diagnostics()).toMatchObject({ timers: 0, inflight: 0 })
  })

  it('a read of the outbox that began before this tab sent and removed a write does not bring the write back', async () => {
    const inner = memoryStorage()
    let gate: Promise<void> | undefined
    let openGate: () => void = () => {}
    let readStarted = false
    // IndexedDB answers later than it was asked: a read can hold the outbox as it was before a removal finished.
    const storage = {
      ...inner,
      description: inner.description,
      readAll: async (scope: string) => {
        const snapshot = await inner.readAll(scope)
        if (gate) {
          readStarted = true
          await gate
        }
        return snapshot
      },
    }
    let finishX: () => void = () => {}
    const sentIds: string[] = []
    const executor: QueueExecutor = {
      async execute(request) {
        const ids = ((request as { rows?: { id: string }[] }).rows ?? []).map((row) => row.id)
        sentIds.push(...ids)
        if (ids.includes('x') && sentIds.filter((id) => id === 'x').length === 1) await new Promise<void>((resolve) => (finishX = resolve))
      },
    }
    const crossTab: CrossTabPorts = { locks: fakeLocks(), channel: fakeChannels() }
    const leader = createQueue({ executor, storage, ports: testPorts(), crossTab, batchDelayMs: 0 })
    await leader.ready
    const follower = createQueue({ executor, storage, ports: testPorts(), crossTab, batchDelayMs: 0 })
    await follower.ready
    await leader.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'x' }] })
    await waitFor(() => sentIds.includes('x'), 2000, 'x in flight')
    gate = new Promise<void>((resolve) => (openGate = resolve))
    await follower.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'y' }] })
    await waitFor(() => readStarted, 2000, 'the leader reading the outbox')
    finishX()
    // x confirmed and removed from the outbox (only y is stored) while the leader's read still holds the old outbox.
    for (const deadline = Date.now() + 2000; (await inner.readAll('default')).size !== 1; ) {
      if (Date.now() > deadline) throw new Error('x was not removed')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    gate = undefined
    openGate()
    await waitFor(() => leader.status.get().pending === 0 && sentIds.includes('y'), 2000, 'y sent')
    expect(sentIds.filter((id) => id === 'x')).toHaveLength(1)
    leader.destroy()
    follower.destroy()
  })

  it('crossTab: false keeps the single-process guard; a malformed crossTab is refused with the fix', () => {
    const storage = memoryStorage()
    const sent = scriptedExecutor()
    const one = createQueue({ executor: sent.executor, storage, crossTab: false })
    expect(() => createQueue({ executor: sent.executor, storage, crossTab: false })).toThrow(/already uses namespace/)
    expect(() => createQueue({ executor: sent.executor, storage: memoryStorage(), crossTab: { locks: {} } as never })).toThrow(/crossTab must be/)
    one.destroy()
  })
})
