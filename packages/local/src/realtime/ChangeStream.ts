import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { decodePgOutputMessage, pgTimestampToUnixMicros, type PgOutputMessage } from './pgoutput.js'
import { buildChange, type DecodedChange } from './DecodedChange.js'
import { RelationCatalog } from './RelationCatalog.js'

export type { DecodedChange } from './DecodedChange.js'

/** Options for {@link ChangeStream}. */
export interface ChangeStreamOptions {
  /** Superuser (or REPLICATION-role) connection string of the database to follow. */
  connectionString: string
  /** Publication(s) whose tables are streamed, all through one slot. Must exist before start(). Default 'supabase_realtime'. */
  publication?: string | string[]
  /** Name of the temporary slot. Default 'supasync_realtime_<random>'. */
  slotName?: string
  /** Wait between polls that returned nothing, in ms. Default 10. */
  idlePollMs?: number
  /** `upto_nchanges` per poll (Postgres only stops at a transaction boundary, so batches can be larger). Default 1000. */
  maxChangesPerPoll?: number
  /** Receives poll, reconnect and listener errors. The stream keeps going after reporting them. */
  onError?: (error: Error) => void
}

/** Counters since construction. */
export interface ChangeStreamStats {
  /** Transactions emitted (those with at least one insert/update/delete of a published table). */
  transactions: number
  /** Changes emitted. */
  changes: number
  /** pg_logical_slot_get_binary_changes calls that succeeded. */
  polls: number
}

/** Longest wait between retries after failures; short because a local database usually recovers quickly. */
const MAX_BACKOFF_MS = 2_000
const FIRST_BACKOFF_MS = 50
/** How often, at most, to log a running-xacts snapshot while changes flow (see poll()). */
const SNAPSHOT_INTERVAL_MS = 1_000

/**
 * Follows committed row changes of the tables in a publication by polling a temporary `pgoutput` logical
 * replication slot with `pg_logical_slot_get_binary_changes`, the way the Supabase Realtime server polls its slot.
 *
 * The slot is temporary on purpose: it lives exactly as long as the stream's connection, so nothing committed while
 * the stream is down (or before start()) is ever delivered — the same loss semantics as the real server's restart.
 * If the connection drops, or any statement on it fails (Postgres drops a session's temporary slots on every
 * ERROR), the stream reconnects with a fresh slot and reports the gap through `onError`.
 */
export class ChangeStream {
  /** Counters since construction. */
  readonly stats: ChangeStreamStats = { transactions: 0, changes: 0, polls: 0 }

  private readonly connectionString: string
  private readonly publications: string[]
  private readonly slotName: string
  private readonly idlePollMs: number
  private readonly maxChangesPerPoll: number
  private readonly reportError: (error: Error) => void
  private readonly listeners = new Set<(changes: DecodedChange[]) => void>()

  private client: pg.Client | undefined
  /** Set when the connection or any statement on it failed: the slot is gone, so the next poll must reconnect. */
  private clientBroken = false
  private started = false
  private stopped = false
  private paused = false
  private loopPromise: Promise<void> | undefined
  private sleepTimer: NodeJS.Timeout | undefined
  private wakeSleep: (() => void) | undefined
  private consecutiveFailures = 0
  private emptyPolls = Number.POSITIVE_INFINITY
  /** A live slot was dropped with its connection; reported once a new one exists. */
  private slotLost = false
  /** pg_logical_emit_message(..., flush) exists from Postgres 17. */
  private flushWal = false
  /** pg_log_standby_snapshot() exists from Postgres 16. */
  private logSnapshots = false
  /** Cleared for good once the role turns out not to be allowed to call the two helpers above. */
  private walHelpersAllowed = true
  private lastSnapshotAt = 0
  private changesSinceSnapshot = false

  private readonly catalog: RelationCatalog
  /** The open transaction: pgoutput never splits one across polls, but nothing is lost if it ever did. */
  private pending: DecodedChange[] | undefined

  constructor(options: ChangeStreamOptions) {
    this.connectionString = options.connectionString
    const publication = options.publication ?? 'supabase_realtime'
    this.publications = Array.isArray(publication) ? publication : [publication]
    this.slotName = options.slotName ?? `supasync_realtime_${randomBytes(6).toString('hex')}`
    this.idlePollMs = Math.max(0, options.idlePollMs ?? 10)
    this.maxChangesPerPoll = Math.max(1, Math.floor(options.maxChangesPerPoll ?? 1000))
    const onError = options.onError
    this.reportError = (error) => {
      try {
        onError?.(error)
      } catch {
        // An onError that throws must not take the poll loop down with it.
      }
    }
    this.catalog = new RelationCatalog(this.reportError)
  }

  /** Creates the slot and starts polling. Changes committed before start() are never emitted. */
  async start(): Promise<void> {
    if (this.started) throw new Error('ChangeStream.start() was already called')
    this.started = true
    try {
      await this.connect()
    } catch (error) {
      this.started = false
      throw error
    }
    if (this.stopped) {
      await this.closeClient()
      return
    }
    this.ensureLoop()
  }

  /** A slot exists and its connection has not failed: changes committed now will be delivered. */
  get isConnected(): boolean {
    return this.client !== undefined && !this.clientBroken && !this.stopped
  }

  /** Listener receives each committed transaction's changes (one array per transaction). Returns an unsubscribe. */
  onTransaction(listener: (changes: DecodedChange[]) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Stops polling and closes the connection (the temporary slot goes with it). Idempotent. Awaits the in-flight poll. */
  async stop(): Promise<void> {
    this.stopped = true
    this.interruptSleep()
    await this.loopPromise
    await this.closeClient()
  }

  /** Pauses polling without losing the slot: changes accumulate in the slot and are delivered after resume(). */
  pause(): void {
    this.paused = true
    this.interruptSleep()
  }

  /** Resumes polling after pause(). */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    if (this.started && !this.stopped) this.ensureLoop()
  }

  private ensureLoop(): void {
    if (this.loopPromise || this.paused || this.stopped) return
    this.loopPromise = this.loop()
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.paused) {
      let delay: number
      try {
        if (!this.client || this.clientBroken) await this.reconnect()
        const rows = await this.poll()
        this.consecutiveFailures = 0
        // Right after activity more is likely to follow, so empty polls back off 1, 2, 4… ms up to idlePollMs:
        // this trims the tail latency under load while a quiet database still sees one poll per idlePollMs.
        this.emptyPolls = rows > 0 ? 0 : this.emptyPolls + 1
        delay = rows > 0 ? 0 : Math.min(this.idlePollMs, 2 ** (this.emptyPolls - 1))
      } catch (error) {
        // Any ERROR in the session drops its temporary slots (Postgres' error recovery runs
        // ReplicationSlotCleanup), not just a lost connection: start over on a new connection and slot.
        this.clientBroken = true
        if (!this.stopped) this.reportError(asError(error))
        this.consecutiveFailures++
        delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.consecutiveFailures - 1))
      }
      if (delay > 0 && !this.stopped && !this.paused) await this.sleep(delay)
    }
    // Synchronous with the loop's exit check, so resume() never sees a finished loop as still running.
    this.loopPromise = undefined
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = undefined
        this.wakeSleep = undefined
        resolve()
      }, ms)
    })
  }

  private interruptSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer)
    this.sleepTimer = undefined
    const wake = this.wakeSleep
    this.wakeSleep = undefined
    wake?.()
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'supasync_realtime',
      // stop() awaits a reconnect in progress: an unreachable host must not make it hang.
      connectionTimeoutMillis: 10_000,
    })
    // Without a listener, an idle connection dying would be an unhandled 'error' event and crash the process.
    client.on('error', (error) => {
      if (this.client !== client) return
      this.clientBroken = true
      if (!this.stopped) this.reportError(error)
    })
    client.on('end', () => {
      if (this.client === client) this.clientBroken = true
    })
    this.client = client
    this.clientBroken = false
    try {
      await client.connect()
      // Output functions run in this session while decoding: pin the settings the value parsers rely on.
      await client.query(
        "set datestyle = 'ISO, MDY'; set intervalstyle = 'postgres'; set bytea_output = 'hex'; set extra_float_digits = 1",
      )
      // Every decoding call logs two LOG lines ("starting logical decoding…"); at ~80 polls/s they would drown the
      // server log. Only a superuser may lower it, so a replication-only role just keeps the noise.
      await client.query('set log_min_messages = warning').catch(() => undefined)
      const { rows } = await client.query<{ pubname: string }>('select pubname from pg_publication where pubname = any($1::text[])', [
        this.publications,
      ])
      const missing = this.publications.find((name) => !rows.some((row) => row.pubname === name))
      if (missing !== undefined) {
        throw new Error(
          `Publication "${missing}" does not exist. Create it before starting the change stream, ` +
            `e.g. create publication ${quoteIdent(missing)} for all tables.`,
        )
      }
      await client.query("select pg_create_logical_replication_slot($1, 'pgoutput', true)", [this.slotName])
      const version = await client.query<{ v: number }>("select current_setting('server_version_num')::int as v")
      const serverVersion = version.rows[0]?.v ?? 0
      this.flushWal = this.walHelpersAllowed && serverVersion >= 170000
      this.logSnapshots = this.walHelpersAllowed && serverVersion >= 160000
    } catch (error) {
      await this.closeClient()
      throw error
    }
    this.catalog.clearRelations()
    this.pending = undefined
  }

  private async reconnect(): Promise<void> {
    if (this.client) {
      await this.closeClient()
      this.slotLost = true
    }
    await this.connect()
    if (this.slotLost) {
      this.slotLost = false
      this.reportError(
        new Error(
          'ChangeStream reconnected with a new temporary replication slot (the old one ended with its session or was ' +
            'dropped by an error in it): changes committed in between were not delivered.',
        ),
      )
    }
  }

  private async closeClient(): Promise<void> {
    const client = this.client
    this.client = undefined
    if (!client) return
    await client.end().catch(() => undefined)
  }

  /** One pg_logical_slot_get_binary_changes call; returns the number of rows it produced. */
  private async poll(): Promise<number> {
    const client = this.client
    if (!client) throw new Error('ChangeStream has no connection')
    const statements: string[] = []
    // Decoding only reads WAL that is flushed to disk. Under synchronous_commit=off (the embedded test database)
    // commits sit unflushed until the WAL writer wakes (wal_writer_delay, 200 ms by default), so flush whatever is
    // pending first. A no-op when the WAL is already flushed, so an idle database writes nothing.
    if (this.flushWal) {
      statements.push(
        "select pg_logical_emit_message(false, 'supasync_flush', ''::text, true) where pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()",
      )
    }
    // Every call re-reads WAL from the slot's restart_lsn, which only moves at a logged running-xacts record
    // (every 15 s from the bgwriter); logging one each second keeps each poll's re-read short under load.
    const now = Date.now()
    if (this.logSnapshots && this.changesSinceSnapshot && now - this.lastSnapshotAt >= SNAPSHOT_INTERVAL_MS) {
      statements.push('select pg_log_standby_snapshot()')
      this.lastSnapshotAt = now
      this.changesSinceSnapshot = false
    }
    statements.push(
      `select lsn::text, data from pg_logical_slot_get_binary_changes(${quoteLiteral(this.slotName)}, null, ` +
        `${this.maxChangesPerPoll}, 'proto_version', '1', 'publication_names', ${quoteLiteral(this.publications.map(quoteIdent).join(','))})`,
    )
    let result: pg.QueryResult<[string, Buffer]>
    try {
      // One simple-protocol round trip for all statements: the helpers add no latency of their own.
      const raw: unknown = await client.query({ text: statements.join(';\n'), rowMode: 'array' })
      // node-pg returns an array of results for a multi-statement query, though its typings say a single one.
      const results = (Array.isArray(raw) ? raw : [raw]) as pg.QueryResult<[string, Buffer]>[]
      const last = results[results.length - 1]
      if (!last) throw new Error('pg_logical_slot_get_binary_changes returned no result')
      result = last
    } catch (error) {
      if (statements.length > 1 && (error as { code?: unknown }).code === '42501') {
        // Not allowed to emit messages or log snapshots (a non-superuser replication role): poll without them.
        this.walHelpersAllowed = false
        this.flushWal = false
        this.logSnapshots = false
      }
      throw error
    }
    this.stats.polls++
    if (result.rows.length === 0) return 0
    this.changesSinceSnapshot = true

    // The slot has already advanced past these rows: from here on nothing may throw, or the batch is lost.
    const messages: { lsn: string; message: PgOutputMessage }[] = []
    const unknownTypes = new Set<number>()
    for (const [lsn, data] of result.rows) {
      let message: PgOutputMessage | undefined
      try {
        message = decodePgOutputMessage(data)
      } catch (error) {
        this.reportError(asError(error))
      }
      if (!message) continue
      messages.push({ lsn, message })
      if (message.tag === 'relation') {
        for (const column of message.columns) if (!this.catalog.hasType(column.typeOid)) unknownTypes.add(column.typeOid)
      }
    }
    const relationIds = messages.filter(({ message }) => message.tag === 'relation').map(({ message }) => (message as { relationId: number }).relationId)
    if (relationIds.length > 0) {
      try {
        await this.catalog.loadPrimaryKeys(client, relationIds)
      } catch (error) {
        this.clientBroken = true
        this.reportError(new Error(`Could not look up primary keys: ${asError(error).message}`))
      }
    }
    if (unknownTypes.size > 0) {
      try {
        await this.catalog.loadTypes(client, unknownTypes)
      } catch (error) {
        // Deliver the batch with the affected values as text rather than drop it. The failed statement took the
        // slot with it, so the next round reconnects (and reports the gap).
        this.clientBroken = true
        this.reportError(new Error(`Could not look up column types: ${asError(error).message}`))
      }
    }

    for (const { lsn, message } of messages) this.apply(lsn, message)
    return result.rows.length
  }

  private apply(lsn: string, message: PgOutputMessage): void {
    switch (message.tag) {
      case 'begin':
        this.pending = []
        return
      case 'relation':
        // Types of this message's columns were loaded before apply() ran.
        this.catalog.addRelation(message)
        return
      case 'insert':
      case 'update':
      case 'delete': {
        const relation = this.catalog.relation(message.relationId)
        if (!relation) {
          this.reportError(new Error(`pgoutput change for relation ${message.relationId} arrived before its Relation message`))
          return
        }
        const change = buildChange(lsn, this.catalog, relation, message)
        if (change) (this.pending ??= []).push(change)
        return
      }
      case 'commit': {
        const changes = this.pending ?? []
        this.pending = undefined
        if (changes.length === 0) return
        const commitTimeMicros = pgTimestampToUnixMicros(message.commitTime)
        const commitTimestamp = new Date(Math.floor(commitTimeMicros / 1000)).toISOString()
        for (const change of changes) {
          change.commitTimeMicros = commitTimeMicros
          change.commitTimestamp = commitTimestamp
        }
        this.stats.transactions++
        this.stats.changes += changes.length
        this.emit(changes)
        return
      }
      // Truncate: the real server ignores it. Type/Origin/Message carry nothing a change needs (types are read
      // from pg_type so domains and composites resolve fully).
      default:
        return
    }
  }

  private emit(changes: DecodedChange[]): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(changes)
      } catch (error) {
        this.reportError(asError(error))
      }
    }
  }
}

/** Quotes an identifier only when Postgres would otherwise fold or reject it, so plain names stay readable. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

/** A SQL string literal (standard_conforming_strings is on in every supported Postgres). */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
