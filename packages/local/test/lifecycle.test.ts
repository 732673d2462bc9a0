import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startLocalStack } from '../src/index.js'
import { startPostgres } from '../src/postgres.js'
import { runTsChild, waitFor } from './helpers.js'

const portRefuses = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => (socket.destroy(), resolve(false)))
    socket.once('error', () => resolve(true))
  })

const childScript = fileURLToPath(new URL('./fixtures/stackChild.ts', import.meta.url))

const runChild = (mode: 'stop' | 'hang') => runTsChild(childScript, [mode])

describe('stack lifecycle', () => {
  it('runs on an existing Postgres given by databaseUrl, and leaves that Postgres running at stop()', async () => {
    const external = await startPostgres()
    try {
      const stack = await startLocalStack({ databaseUrl: external.superuserUrl, sql: ['create table notes (id int primary key, body text); alter publication supabase_realtime add table notes;'] })
      expect(stack.dataDirectory).toBeUndefined()
      const supabase = stack.createClient({ key: stack.serviceRoleKey })
      const changes: unknown[] = []
      await new Promise<void>((resolve) => {
        supabase
          .channel('external')
          .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'notes' } as never, (change: unknown) => changes.push(change))
          .on('system' as never, {} as never, () => resolve())
          .subscribe()
      })
      expect((await supabase.from('notes').insert({ id: 1, body: 'hi' })).error).toBeNull()
      await waitFor(() => changes.length === 1, 5000, 'the insert over realtime')
      await supabase.removeAllChannels()
      await stack.stop()
      expect(await portRefuses(stack.url)).toBe(true)
      expect(await portRefuses(external.superuserUrl.replace('postgres:', 'http:'))).toBe(false)
      // A second stack on the same database: the bootstrap is idempotent.
      const again = await startLocalStack({ databaseUrl: external.superuserUrl })
      await again.stop()
    } finally {
      await external.stop()
    }
  })


  it('stop() ends Postgres and PostgREST, removes the data directory, and is idempotent', async () => {
    const stack = await startLocalStack()
    const dataDirectory = stack.dataDirectory!
    expect(existsSync(dataDirectory)).toBe(true)
    await stack.stop()
    await stack.stop()
    expect(existsSync(dataDirectory)).toBe(false)
    expect(await portRefuses(stack.databaseUrl.replace('postgres:', 'http:'))).toBe(true)
    expect(await portRefuses(stack.postgrestUrl)).toBe(true)
    expect(await portRefuses(stack.url)).toBe(true)
  })

  it('lets the Node process exit by itself right after stop(), with a client joined before', async () => {
    const run = runChild('stop')
    onTestFinished(() => void run.child.kill('SIGKILL'))
    await waitFor(() => run.lines.includes('stopped'), 30_000, 'the child to stop its stack')
    const code = await Promise.race([run.exit, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3000))])
    if (code === 'hung') run.child.kill('SIGKILL')
    expect(code, run.stderr()).toBe(0)
  }, 40_000)

  it('leaves no Postgres or PostgREST behind when the owning process is killed', async () => {
    const run = runChild('hang')
    // Whatever happens below, the child must not outlive the test.
    onTestFinished(() => void run.child.kill('SIGKILL'))
    const ready = await waitFor(() => run.lines.find((line) => line.startsWith('{')), 30_000, 'child stack')
    const { databaseUrl, postgrestUrl } = JSON.parse(ready) as { databaseUrl: string; postgrestUrl: string }
    run.child.kill('SIGKILL')
    await run.exit
    const postgresGone = async () => portRefuses(databaseUrl.replace('postgres:', 'http:'))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && !((await postgresGone()) && (await portRefuses(postgrestUrl)))) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(await postgresGone()).toBe(true)
    expect(await portRefuses(postgrestUrl)).toBe(true)
  }, 45_000)
})
