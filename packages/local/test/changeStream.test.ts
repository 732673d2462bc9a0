import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresHandle } from '../src/postgres.js'
import { ChangeStream, type ChangeStreamOptions, type DecodedChange } from '../src/realtime/ChangeStream.js'
import { decodePgOutputMessage, formatLsn, PgOutputDecodeError, UNCHANGED_TOAST } from '../src/realtime/pgoutput.js'

let postgres: PostgresHandle
let admin: pg.Client
const openStreams: ChangeStream[] = []

/** A started stream that records every transaction and error, stopped after each test. */
async function openStream(options: Partial<ChangeStreamOptions> = {}) {
  const transactions: DecodedChange[][] = []
  const errors: Error[] = []
  const stream = new ChangeStream({
    connectionString: postgres.superuserUrl,
    onError: (error) => errors.push(error),
    ...options,
  })
  stream.onTransaction((changes) => transactions.push(changes))
  openStreams.push(stream)
  await stream.start()
  return { stream, transactions, errors, changes: () => transactions.flat() }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A row in `marker` whose INSERT arriving proves everything committed earlier was already seen. */
let markerId = 0
async function insertMarker(): Promise<number> {
  markerId++
  await admin.query('insert into marker (id) values ($1)', [markerId])
  return markerId
}
function isMarker(change: DecodedChange, id: number): boolean {
  return change.table === 'marker' && change.record?.['id'] === id
}
async function settle(collected: { changes: () => DecodedChange[] }): Promise<void> {
  const id = await insertMarker()
  await waitFor(() => collected.changes().some((change) => isMarker(change, id)), `marker ${id}`)
}
function withoutMarkers(changes: DecodedChange[]): DecodedChange[] {
  return changes.filter((change) => change.table !== 'marker')
}

/** Random hex that pglz cannot shrink, so the column is stored out of line (TOASTed). */
const bigText = (length: number) =>
  Array.from({ length: Math.ceil(length / 8) }, () => Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0'))
    .join('')
    .slice(0, length)

beforeAll(async () => {
  postgres = await startPostgres()
  admin = new pg.Client({ connectionString: postgres.superuserUrl })
  await admin.connect()
  await admin.query(`
    create type mood as enum ('happy', 'sad');
    create domain positive_int as int4 check (value > 0);
    create type pair as (a int4, b text);

    create table items (
      id int8 primary key,
      name text,
      qty int4,
      price numeric,
      ok bool,
      tags text[],
      data jsonb,
      at timestamptz,
      big text
    );
    alter table items alter column big set storage external;

    create table items_full (like items including all);
    alter table items_full alter column big set storage external;
    alter table items_full replica identity full;

    create table hidden (id int8 primary key, name text);
    create table marker (id int8 primary key);
    create table evolving (id int8 primary key, a text);
    create table toast_key (k text, n int4, note text, primary key (k, n));
    alter table toast_key alter column k set storage external;
    create table typed (
      id int8 primary key, m mood, p positive_int, pr pair, prs pair[], ps positive_int[], u uuid,
      d date, t timestamp, f8 float8, nan float8, b bytea, o oid, iv interval, ch char(4)
    );

    create publication supabase_realtime for table items, items_full, marker, evolving, typed, toast_key;
  `)
})

afterEach(async () => {
  await Promise.all(openStreams.splice(0).map((stream) => stream.stop()))
})

afterAll(async () => {
  await admin?.end()
  await postgres?.stop()
})

describe('ChangeStream', () => {
  it('emits insert/update/delete under REPLICA IDENTITY DEFAULT with to_jsonb-typed values', async () => {
    const s = await openStream()
    await admin.query(
      `insert into items (id, name, qty, price, ok, tags, data, at)
       values (1, 'apple', 3, 1.50, true, '{a,"b c",NULL}', '{"k":[1,{"n":null}]}', '2026-11-23 07:28:00.123456+00')`,
    )
    await admin.query(`update items set qty = 4 where id = 1`)
    await admin.query(`update items set id = 2 where id = 1`)
    await admin.query(`delete from items where id = 2`)
    await settle(s)

    const [insert, update, keyUpdate, del] = withoutMarkers(s.changes())
    expect(insert).toMatchObject({
      schema: 'public',
      table: 'items',
      type: 'INSERT',
      keyColumns: ['id'],
      record: {
        id: 1,
        name: 'apple',
        qty: 3,
        price: 1.5,
        ok: true,
        tags: ['a', 'b c', null],
        data: { k: [1, { n: null }] },
        at: '2026-11-23T07:28:00.123456+00:00',
        big: null,
      },
    })
    expect(insert?.oldRecord).toBeUndefined()
    expect(insert?.columns.map((column) => [column.name, column.type, column.isKey])).toEqual([
      ['id', 'int8', true],
      ['name', 'text', false],
      ['qty', 'int4', false],
      ['price', 'numeric', false],
      ['ok', 'bool', false],
      ['tags', '_text', false],
      ['data', 'jsonb', false],
      ['at', 'timestamptz', false],
      ['big', 'text', false],
    ])
    expect(insert?.columns[0]?.typeOid).toBe(20)
    expect(update).toMatchObject({ type: 'UPDATE', record: { id: 1, qty: 4, name: 'apple' }, oldRecord: { id: 1 } })
    // Key unchanged: no old tuple in WAL, so old_record is the key of the new row, like the real server's.
    expect(Object.keys(update?.oldRecord ?? {})).toEqual(['id'])
    // Key changed: the 'K' tuple carries the old key only.
    expect(keyUpdate).toMatchObject({ type: 'UPDATE', record: { id: 2, qty: 4 }, oldRecord: { id: 1 } })
    expect(Object.keys(keyUpdate?.oldRecord ?? {})).toEqual(['id'])
    expect(del).toMatchObject({ type: 'DELETE', oldRecord: { id: 2 } })
    expect(del?.record).toBeUndefined()
    expect(del?.relationId).toBe(insert?.relationId)
    expect(s.errors).toEqual([])
  })

  it('sends the whole old row under REPLICA IDENTITY FULL', async () => {
    const s = await openStream()
    await admin.query(`insert into items_full (id, name, qty, tags) values (1, 'pear', 1, '{x}')`)
    await admin.query(`update items_full set qty = 2 where id = 1`)
    await admin.query(`delete from items_full where id = 1`)
    await settle(s)
    const [insert, update, del] = withoutMarkers(s.changes())
    expect(insert?.type).toBe('INSERT')
    const fullOld = { id: 1, name: 'pear', qty: 1, price: null, ok: null, tags: ['x'], data: null, at: null, big: null }
    expect(update).toMatchObject({ type: 'UPDATE', record: { ...fullOld, qty: 2 }, oldRecord: fullOld })
    expect(del).toMatchObject({ type: 'DELETE', oldRecord: { ...fullOld, qty: 2 } })
    // pgoutput flags every column as part of the identity under FULL (flag 1), so all are "key" columns.
    expect(update?.keyColumns).toEqual(Object.keys(fullOld))
    expect(s.errors).toEqual([])
  })

  it('emits a multi-row transaction as one batch and transactions in commit order', async () => {
    const s = await openStream()
    await admin.query(`begin; insert into items (id, name) values (10, 'a'), (11, 'b'); update items set name = 'c' where id = 10; delete from items where id = 11; commit`)

    // Transaction A starts first but commits after B: commit order wins.
    const other = new pg.Client({ connectionString: postgres.superuserUrl })
    await other.connect()
    try {
      await other.query(`begin; insert into items (id, name) values (20, 'first-started')`)
      await admin.query(`insert into items (id, name) values (21, 'first-committed')`)
      await other.query('commit')
    } finally {
      await other.end()
    }
    await settle(s)

    const batches = s.transactions.map(withoutMarkers).filter((batch) => batch.length > 0)
    expect(batches.map((batch) => batch.map((change) => `${change.type}:${String(change.record?.['id'] ?? change.oldRecord?.['id'])}`))).toEqual([
      ['INSERT:10', 'INSERT:11', 'UPDATE:10', 'DELETE:11'],
      ['INSERT:21'],
      ['INSERT:20'],
    ])
    const first = batches[0] ?? []
    expect(new Set(first.map((change) => change.commitTimestamp)).size).toBe(1)
    expect(first.map((change) => change.lsn)).toEqual([...first.map((change) => change.lsn)].sort(compareLsn))
    expect(s.stream.stats.transactions).toBe(s.transactions.length)
    expect(s.stream.stats.changes).toBe(s.changes().length)
  })

  it('stamps the commit time in the real server format', async () => {
    const s = await openStream()
    const before = Date.now()
    await admin.query(`insert into items (id, name) values (30, 'time')`)
    const after = Date.now()
    await settle(s)
    const change = withoutMarkers(s.changes())[0]
    expect(change?.commitTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    // Truncated (not rounded) to the millisecond, like to_char(... 'MS').
    expect(change?.commitTimestamp).toBe(new Date(Math.floor((change?.commitTimeMicros ?? 0) / 1000)).toISOString())
    expect(change?.commitTimeMicros).toBeGreaterThanOrEqual(before * 1000 - 1000)
    expect(change?.commitTimeMicros).toBeLessThanOrEqual(after * 1000 + 1000)

    const { rows } = await admin.query<{ ts: string }>(
      `select to_char(to_timestamp($1::float8 / 1e6) at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts`,
      [change?.commitTimeMicros],
    )
    expect(change?.commitTimestamp).toBe(rows[0]?.ts)
  })

  it('never emits tables outside the publication', async () => {
    const s = await openStream()
    await admin.query(`insert into hidden (id, name) values (1, 'secret')`)
    await admin.query(`begin; insert into hidden (id, name) values (2, 'secret'); insert into items (id, name) values (40, 'visible'); commit`)
    await settle(s)
    const changes = withoutMarkers(s.changes())
    expect(changes.map((change) => `${change.table}:${String(change.record?.['id'])}`)).toEqual(['items:40'])
    // The hidden-only transaction produced no (empty) batch either.
    expect(s.transactions.every((batch) => batch.length > 0)).toBe(true)
  })

  it('never emits changes committed before start()', async () => {
    await admin.query(`insert into items (id, name) values (50, 'before')`)
    const s = await openStream()
    await admin.query(`insert into items (id, name) values (51, 'after')`)
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => change.record?.['id'])).toEqual([51])
  })

  it('handles unchanged TOAST columns: omitted under DEFAULT, taken from the old row under FULL', async () => {
    const big = bigText(20_000)
    const s = await openStream()
    await admin.query(`insert into items (id, name, big) values (60, 'toast', $1)`, [big])
    await admin.query(`update items set name = 'toast2' where id = 60`)
    await admin.query(`update items set id = 61 where id = 60`)
    await admin.query(`insert into items_full (id, name, big) values (60, 'toast', $1)`, [big])
    await admin.query(`update items_full set name = 'toast2' where id = 60`)
    await admin.query(`delete from items where id = 61`)
    await settle(s)
    const [insert, update, keyUpdate, fullInsert, fullUpdate, del] = withoutMarkers(s.changes())
    expect(insert?.record?.['big']).toBe(big)
    // Postgres did not log the untouched TOASTed value and there is no old tuple to take it from.
    expect(update?.record).toMatchObject({ id: 60, name: 'toast2' })
    expect(update?.record).not.toHaveProperty('big')
    expect(keyUpdate?.record).not.toHaveProperty('big')
    expect(keyUpdate?.oldRecord).toEqual({ id: 60 })
    expect(fullInsert?.record?.['big']).toBe(big)
    expect(fullUpdate?.record).toMatchObject({ id: 60, name: 'toast2', big })
    expect(fullUpdate?.oldRecord).toMatchObject({ id: 60, name: 'toast', big })
    expect(del?.oldRecord).toEqual({ id: 61 })
  })

  it('fills an unchanged TOASTed key column from the K tuple when another key column changes', async () => {
    const key = bigText(2_300)
    const s = await openStream()
    await admin.query(`insert into toast_key (k, n, note) values ($1, 1, 'a')`, [key])
    await admin.query(`update toast_key set n = 2, note = 'b'`)
    await settle(s)
    const [, update] = withoutMarkers(s.changes())
    expect(update?.keyColumns).toEqual(['k', 'n'])
    expect(update?.record).toEqual({ k: key, n: 2, note: 'b' })
    expect(update?.oldRecord).toEqual({ k: key, n: 1 })
  })

  it('picks up ALTER TABLE ... ADD COLUMN mid-stream', async () => {
    const s = await openStream()
    await admin.query(`insert into evolving (id, a) values (1, 'x')`)
    await settle(s)
    await admin.query(`alter table evolving add column b int4 default 7`)
    await admin.query(`insert into evolving (id, a, b) values (2, 'y', 8)`)
    await admin.query(`update evolving set a = 'z' where id = 1`)
    await admin.query(`alter table evolving drop column a`)
    await admin.query(`insert into evolving (id) values (3)`)
    await settle(s)
    const [first, second, third, fourth] = withoutMarkers(s.changes())
    expect(first?.columns.map((column) => column.name)).toEqual(['id', 'a'])
    expect(first?.record).toEqual({ id: 1, a: 'x' })
    expect(second?.columns.map((column) => `${column.name}:${column.type}`)).toEqual(['id:int8', 'a:text', 'b:int4'])
    expect(second?.record).toEqual({ id: 2, a: 'y', b: 8 })
    expect(third?.record).toEqual({ id: 1, a: 'z', b: 7 })
    expect(fourth?.columns.map((column) => column.name)).toEqual(['id', 'b'])
    expect(fourth?.record).toEqual({ id: 3, b: 7 })
  })

  it('builds records exactly like to_jsonb(row) for enums, domains, composites, arrays and more', async () => {
    const s = await openStream()
    await admin.query(`insert into typed values (
      1, 'sad', 5, '(1,"x y")', array['(2,z)'::pair, null], '{1,2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '2026-11-23', '2026-11-23 07:28:00.5', 1e300, 'NaN', '\\x00ff', 4000000000, '1 day 2 hours', 'ab')`)
    await admin.query(`insert into typed (id) values (2)`)
    await settle(s)
    const { rows } = await admin.query<{ id: string; row: unknown }>('select id, to_jsonb(typed_row) as row from typed typed_row order by id')
    const records = withoutMarkers(s.changes()).map((change) => change.record)
    expect(records).toEqual(rows.map((row) => row.row))
    const columns = withoutMarkers(s.changes())[0]?.columns ?? []
    expect(columns.map((column) => column.type)).toEqual([
      'int8', 'mood', 'positive_int', 'pair', '_pair', '_positive_int', 'uuid',
      'date', 'timestamp', 'float8', 'float8', 'bytea', 'oid', 'interval', 'bpchar',
    ])
  })

  it('skips TRUNCATE and keeps streaming', async () => {
    const s = await openStream()
    await admin.query(`insert into evolving (id) values (100)`)
    await admin.query(`truncate evolving`)
    await admin.query(`insert into evolving (id) values (101)`)
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => `${change.type}:${String(change.record?.['id'])}`)).toEqual([
      'INSERT:100',
      'INSERT:101',
    ])
  })

  it('holds changes while paused and delivers them on resume', async () => {
    const s = await openStream()
    s.stream.pause()
    await sleep(30)
    const pollsWhilePaused = s.stream.stats.polls
    await admin.query(`insert into items (id, name) values (70, 'paused')`)
    await sleep(100)
    expect(s.changes()).toEqual([])
    expect(s.stream.stats.polls).toBe(pollsWhilePaused)
    s.stream.resume()
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => change.record?.['id'])).toEqual([70])
  })

  it('reports a failing listener through onError and keeps delivering', async () => {
    const s = await openStream()
    let calls = 0
    s.stream.onTransaction(() => {
      calls++
      throw new Error('listener boom')
    })
    await admin.query(`insert into items (id, name) values (80, 'a')`)
    await admin.query(`insert into items (id, name) values (81, 'b')`)
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => change.record?.['id'])).toEqual([80, 81])
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(s.errors.some((error) => error.message === 'listener boom')).toBe(true)
  })

  it('unsubscribes listeners', async () => {
    const s = await openStream()
    const seen: DecodedChange[][] = []
    const unsubscribe = s.stream.onTransaction((changes) => seen.push(changes))
    unsubscribe()
    await admin.query(`insert into items (id, name) values (85, 'a')`)
    await settle(s)
    expect(seen).toEqual([])
  })

  it('survives its connection being killed: reports it, reconnects with a new slot, keeps streaming', async () => {
    const s = await openStream({ slotName: 'supasync_kill_test' })
    await admin.query(`insert into items (id, name) values (90, 'before kill')`)
    await settle(s)
    await admin.query(
      `select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = 'supasync_kill_test'`,
    )
    await waitFor(() => s.errors.some((error) => /reconnected/.test(error.message)), 'reconnect report')
    await admin.query(`insert into items (id, name) values (91, 'after kill')`)
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => change.record?.['id'])).toEqual([90, 91])
    const { rows } = await admin.query(`select 1 from pg_replication_slots where slot_name = 'supasync_kill_test'`)
    expect(rows).toHaveLength(1)
  })

  it('recovers from a failed poll on a new slot, since any session error drops the temporary one', async () => {
    const s = await openStream({ slotName: 'supasync_cancel_test' })
    const pid = (
      await admin.query<{ pid: number }>(`select active_pid as pid from pg_replication_slots where slot_name = 'supasync_cancel_test'`)
    ).rows[0]?.pid
    // A cancel only lands while a poll is executing; keep sending until one does.
    const deadline = Date.now() + 10_000
    while (!s.errors.some((error) => (error as { code?: string }).code === '57014') && Date.now() < deadline) {
      await admin.query('select pg_cancel_backend($1)', [pid])
      await sleep(1)
    }
    expect(s.errors.some((error) => (error as { code?: string }).code === '57014')).toBe(true)
    // Changes committed before the new slot exists are lost by design; the report comes once it does.
    await waitFor(() => s.errors.some((error) => /reconnected/.test(error.message)), 'reconnect report')
    await admin.query(`insert into items (id, name) values (95, 'after cancel')`)
    await settle(s)
    expect(withoutMarkers(s.changes()).map((change) => change.record?.['id'])).toEqual([95])
    const { rows } = await admin.query<{ active_pid: number }>(
      `select active_pid from pg_replication_slots where slot_name = 'supasync_cancel_test'`,
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]?.active_pid).not.toBe(pid)
  })

  it('rejects start() when the publication does not exist', async () => {
    const stream = new ChangeStream({ connectionString: postgres.superuserUrl, publication: 'no_such_publication' })
    await expect(stream.start()).rejects.toThrow(/no_such_publication/)
    await stream.stop()
  })

  it('stop() drops the temporary slot, closes the connection and is idempotent', async () => {
    const stream = new ChangeStream({ connectionString: postgres.superuserUrl, slotName: 'supasync_stop_test' })
    await stream.start()
    const slots = async () =>
      (await admin.query(`select 1 from pg_replication_slots where slot_name = 'supasync_stop_test'`)).rows.length
    const sessions = async () =>
      (await admin.query(`select 1 from pg_stat_activity where application_name = 'supasync_realtime'`)).rows.length
    expect(await slots()).toBe(1)
    stream.pause()
    await Promise.all([stream.stop(), stream.stop()])
    await stream.stop()
    // The backend exits asynchronously after the client's Terminate message.
    const deadline = Date.now() + 5_000
    while ((await slots()) > 0 && Date.now() < deadline) await sleep(10)
    expect(await slots()).toBe(0)
    expect(await sessions()).toBe(0)
    // A stopped stream stays stopped.
    const polls = stream.stats.polls
    stream.resume()
    await sleep(50)
    expect(stream.stats.polls).toBe(polls)
  })

  it('lets the Node process exit after stop() (no timers or sockets left behind)', async () => {
    const moduleUrl = new URL('../src/realtime/ChangeStream.ts', import.meta.url).href
    const script = `
      import { ChangeStream } from ${JSON.stringify(moduleUrl)}
      const stream = new ChangeStream({ connectionString: process.env.PG_URL, idlePollMs: 5 })
      stream.onTransaction(() => {})
      await stream.start()
      await new Promise((resolve) => setTimeout(resolve, 200))
      await stream.stop()
      console.log('stopped', stream.stats.polls > 0)
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, PG_URL: postgres.superuserUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(null)
      }, 15_000)
      child.on('exit', (exitCode) => {
        clearTimeout(timer)
        resolve(exitCode)
      })
    })
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'stopped true' })
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})

describe('pgoutput decoder', () => {
  const encoder = new TextEncoder()
  const cstring = (text: string) => [...encoder.encode(text), 0]
  const int16 = (value: number) => [(value >> 8) & 0xff, value & 0xff]
  const int32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]
  const int64 = (value: bigint) => {
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setBigInt64(0, value)
    return [...bytes]
  }
  const char = (text: string) => [text.charCodeAt(0)]

  it('decodes Relation, Insert, Update with old tuple, Delete, Truncate and Commit', () => {
    const relation = decodePgOutputMessage(
      Uint8Array.from([
        ...char('R'), ...int32(16400), ...cstring(''), ...cstring('t'), ...char('d'), ...int16(2),
        1, ...cstring('id'), ...int32(20), ...int32(-1),
        0, ...cstring('v'), ...int32(25), ...int32(-1),
      ]),
    )
    expect(relation).toEqual({
      tag: 'relation',
      relationId: 16400,
      schema: 'pg_catalog',
      table: 't',
      replicaIdentity: 'd',
      columns: [
        { isKey: true, name: 'id', typeOid: 20, typeModifier: -1 },
        { isKey: false, name: 'v', typeOid: 25, typeModifier: -1 },
      ],
    })
    const tuple = [...int16(3), ...char('t'), ...int32(1), ...encoder.encode('7'), ...char('n'), ...char('u')]
    expect(decodePgOutputMessage(Uint8Array.from([...char('I'), ...int32(16400), ...char('N'), ...tuple]))).toEqual({
      tag: 'insert',
      relationId: 16400,
      newTuple: ['7', null, UNCHANGED_TOAST],
    })
    expect(
      decodePgOutputMessage(Uint8Array.from([...char('U'), ...int32(16400), ...char('O'), ...tuple, ...char('N'), ...tuple])),
    ).toMatchObject({ tag: 'update', oldKind: 'O', oldTuple: ['7', null, UNCHANGED_TOAST] })
    expect(decodePgOutputMessage(Uint8Array.from([...char('D'), ...int32(16400), ...char('K'), ...tuple]))).toMatchObject({
      tag: 'delete',
      oldKind: 'K',
    })
    expect(decodePgOutputMessage(Uint8Array.from([...char('T'), ...int32(2), 1, ...int32(1), ...int32(2)]))).toEqual({
      tag: 'truncate',
      options: 1,
      relationIds: [1, 2],
    })
    expect(
      decodePgOutputMessage(Uint8Array.from([...char('C'), 0, ...int64(0x1_0000_00a0n), ...int64(0x1_0000_00b0n), ...int64(5n)])),
    ).toEqual({ tag: 'commit', flags: 0, commitLsn: '1/A0', endLsn: '1/B0', commitTime: 5n })
    expect(formatLsn(0x16_b374_d848n)).toBe('16/B374D848')
  })

  it('rejects truncated input and ignores unknown message kinds', () => {
    expect(() => decodePgOutputMessage(Uint8Array.from([...char('I'), ...int32(1)]))).toThrow(PgOutputDecodeError)
    expect(() => decodePgOutputMessage(Uint8Array.from([...char('R'), ...int32(1), 0x41]))).toThrow(PgOutputDecodeError)
    expect(decodePgOutputMessage(Uint8Array.from([...char('S'), 0, 0, 0, 0]))).toBeUndefined()
  })
})

function compareLsn(a: string, b: string): number {
  const value = (lsn: string) => {
    const [high = '0', low = '0'] = lsn.split('/')
    return BigInt(`0x${high}`) * 2n ** 32n + BigInt(`0x${low}`)
  }
  const difference = value(a) - value(b)
  return difference < 0n ? -1 : difference > 0n ? 1 : 0
}
