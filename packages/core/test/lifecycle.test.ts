import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync, SupasyncError } from '../src/index.js'
import { CORE_SCHEMA, syncFor, waitFor } from './helpers.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [CORE_SCHEMA], realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})

const expectCode = (action: () => unknown, code: string, message: RegExp) => {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(SupasyncError)
    expect((error as SupasyncError).code).toBe(code)
    expect((error as SupasyncError).message).toMatch(message)
    return
  }
  throw new Error(`expected a ${code} error`)
}

describe('bad input', () => {
  it('rejects invalid topics, filters, options and late calls with typed errors that say how to fix them', async () => {
    const a = syncFor(stack)
    try {
      expectCode(() => a.sync.channel(''), 'INVALID_TOPIC', /non-empty/)
      expectCode(() => a.sync.channel('realtime:room'), 'INVALID_TOPIC', /leave out the "realtime:" prefix/)
      expectCode(() => a.sync.channel('x'.repeat(300)), 'INVALID_TOPIC', /longer than 246 bytes/)
      expectCode(() => a.sync.changes({ table: 'components', filter: 'project_id=equals.1' }, () => {}), 'INVALID_FILTER', /"equals" is not an operator/)
      expectCode(() => a.sync.changes({ table: 'components', filter: 'id=in.1,2' }, () => {}), 'INVALID_FILTER', /parentheses/)
      expectCode(() => a.sync.changes({ table: '' }, () => {}), 'INVALID_FILTER', /table/)
      expectCode(() => a.sync.changes({ table: 'components', event: 'UPSERT' as never }, () => {}), 'INVALID_FILTER', /event must be/)
      expectCode(() => createSupasync(a.supabase, { graceMs: -1 }), 'INVALID_OPTIONS', /graceMs must be a number ≥ 0/)
      expectCode(() => createSupasync({} as never), 'INVALID_OPTIONS', /createClient/)
      const room = a.sync.channel('big', { broadcast: { ack: true } })
      await expect(room.send('blob', { data: 'x'.repeat(300_000) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
      expectCode(() => a.sync.channel('big', { broadcast: { self: true } }), 'CONFIG_CONFLICT', /same options/)
      room.release()
      await expect(room.send('late', {})).rejects.toMatchObject({ code: 'RELEASED' })
      await a.sync.destroy()
      expectCode(() => a.sync.channel('after'), 'DESTROYED', /createSupasync/)
    } finally {
      await a.close()
    }
  })
})

describe('limits and shared clients', () => {
  it('refuses a topic the app already opened on the same client, instead of hijacking its channel', async () => {
    const a = syncFor(stack)
    try {
      const own = a.supabase.channel('app-owned').subscribe()
      expectCode(() => a.sync.channel('app-owned'), 'CONFIG_CONFLICT', /already open on this supabase client/)
      await a.supabase.removeChannel(own)
    } finally {
      await a.close()
    }
  })

  it('reopens a room in its grace period when it is acquired again with other options', async () => {
    const a = syncFor(stack, { graceMs: 5000 })
    try {
      const first = a.sync.channel('reopen')
      await waitFor(() => first.status.get() === 'joined')
      first.release()
      const second = a.sync.channel('reopen', { broadcast: { self: true } })
      const got: unknown[] = []
      second.on('echo', (payload) => got.push(payload))
      await waitFor(() => second.status.get() === 'joined', 5000, 'the reopened room')
      expect(await second.send('echo', { n: 1 })).toBe('ok')
      await waitFor(() => got.length === 1, 5000, 'self broadcast with the new options')
      expect(a.supabase.getChannels()).toHaveLength(1)
    } finally {
      await a.close()
    }
  })

  it('recovers a spec refused with CHANNEL_LIMIT once a channel is free', async () => {
    const a = syncFor(stack, { maxChannels: 2, graceMs: 10 })
    try {
      const room = a.sync.channel('hog')
      expectCode(() => a.sync.changes({ table: 'components', filter: 'project_id=eq.5' }, () => {}), 'CHANNEL_LIMIT', /maxChannels=2/)
      room.release()
      await waitFor(() => a.sync.diagnostics().rooms === 0, 5000, 'room gone')
      const lease = a.sync.changes({ table: 'components', filter: 'project_id=eq.5' }, () => {})
      await waitFor(() => lease.status.get() === 'live', 5000, 'lease live after the limit freed')
    } finally {
      await a.close()
    }
  })
})

describe('cleanup', () => {
  it('returns every count to zero after releases and grace, and destroy() leaves no channel or timer', async () => {
    const a = syncFor(stack, { graceMs: 50 })
    try {
      const room = a.sync.channel('count')
      const off = room.on('x', () => {})
      const unsubscribe = a.sync.status.subscribe(() => {})
      const leases = [1, 2, 3].map((project) => a.sync.changes({ table: 'components', filter: `project_id=eq.${project}` }, () => {}))
      await waitFor(() => leases.every((lease) => lease.status.get() === 'live') && room.status.get() === 'joined', 5000)
      off()
      room.release()
      for (const lease of leases) lease.release()
      unsubscribe()
      await waitFor(() => a.sync.diagnostics().channels === 0, 5000, 'channels left after grace')
      expect(a.sync.diagnostics()).toMatchObject({ rooms: 0, roomHolders: 0, roomListeners: 0, changeBindings: 0, changeLeases: 0, channels: 0, statusListeners: 0 })
      // Only the monitor's heartbeat timer remains while the instance lives.
      expect(a.sync.diagnostics().timers).toBe(1)
      const again = a.sync.channel('count')
      a.sync.changes({ table: 'components' }, () => {})
      await waitFor(() => again.status.get() === 'joined')
      await a.sync.destroy()
      expect(a.sync.diagnostics()).toMatchObject({ rooms: 0, channels: 0, timers: 0, changeLeases: 0 })
      await waitFor(() => a.supabase.getChannels().length === 0, 5000, 'realtime-js channels removed')
      await waitFor(() => stack.realtime.snapshot().channels === 0, 5000, 'server channels gone')
    } finally {
      await a.close()
    }
  })

  it('lets the Node process exit by itself after destroy()', async () => {
    const script = fileURLToPath(new URL('./fixtures/destroyChild.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    onTestFinished(() => void child.kill('SIGKILL'))
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await waitFor(() => output.includes('destroyed'), 30_000, `the child to destroy (${output})`)
    // realtime-js 2.109's disconnect() keeps a 10 s timer of its own after the socket closed; nothing of supasync's.
    const code = await Promise.race([exit, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))])
    expect(code, output).toBe(0)
    expect(output).toContain('"timers":0')
  }, 60_000)

  it('lets the Node process exit after everything is released and destroy(), with the server still up (issue #10.9)', async () => {
    // The case above calls supabase.removeAllChannels() (which disconnects) and stops the stack, so it never saw the
    // app's case: the app releases everything, destroys supasync, and does nothing with the client itself.
    const script = fileURLToPath(new URL('./fixtures/destroyIdleChild.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STACK_URL: stack.url, STACK_KEY: stack.anonKey },
    })
    onTestFinished(() => void child.kill('SIGKILL'))
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await waitFor(() => output.includes('destroyed'), 20_000, `the child to destroy (${output})`)
    // realtime-js 2.109's disconnect() keeps a timer of up to 10 s after the socket closed; nothing else may remain.
    const code = await Promise.race([exit, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 13_000))])
    expect(code, output).toBe(0)
    expect(output).toContain('"timers":0')
  }, 45_000)
})
