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

  it('survives a Postgres restart: the stack process stays up, idle pooled sessions are replaced, REST and realtime resume', async () => {
    const stack = await startLocalStack({ sql: ['create table notes (id int primary key, body text); alter publication supabase_realtime add table notes;'] })
    onTestFinished(() => stack.stop())
    // Four idle sessions in the query pool: each gets "terminating connection due to administrator command".
    await Promise.all([1, 2, 3, 4].map(() => stack.query('select pg_sleep(0.05)')))
    const supabase = stack.createClient({ key: stack.serviceRoleKey })
    const changes: { new: { id: number } }[] = []
    await new Promise<void>((resolve) => {
      supabase
        .channel('restart')
        .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'notes' } as never, (change: { new: { id: number } }) => changes.push(change))
        .on('system' as never, {} as never, () => resolve())
        .subscribe()
    })
    await stack.faults.restartPostgres()
    // The pool's idle sessions died with the old server; a query now gets a fresh one.
    expect((await stack.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1)
    // PostgREST reconnects by itself; its first requests may still meet the old pool.
    let inserted = false
    for (const deadline = Date.now() + 20_000; !inserted && Date.now() < deadline; ) {
      inserted = (await supabase.from('notes').insert({ id: 1, body: 'after restart' })).error === null
      if (!inserted) await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(inserted).toBe(true)
    // The change stream came back with a fresh slot: a change committed now is delivered.
    const deadline = Date.now() + 15_000
    for (let id = 2; !changes.some((change) => change.new.id >= 2) && Date.now() < deadline; id++) {
      await stack.query('insert into notes values ($1, $2)', [id, 'probe'])
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(changes.some((change) => change.new.id >= 2)).toBe(true)
    await supabase.removeAllChannels()
  }, 60_000)

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
