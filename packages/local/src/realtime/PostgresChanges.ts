import type pg from 'pg'
import type { DecodedChange } from './ChangeStream.js'
import {
  compileFilter,
  FilterValidationError,
  parseFilter,
  PgError,
  subscriptionInsertFailedMessage,
  subscriptionNotPublishedMessage,
  type FilterClause,
} from './filters/index.js'
import type { PostgresChangeParams } from './joinConfig.js'
import { RowVisibility } from './RowVisibility.js'

/** A binding the server accepted: the client's params plus the compiled filter. */
export interface ActiveBinding {
  id: number
  event: PostgresChangeParams['event']
  schema: string
  /** '*' for every table of the schema. */
  table: string
  /** Evaluates the filter on a to_jsonb-typed row. Absent when the binding has no filter. */
  matches?: (row: Record<string, unknown>) => boolean
}

/** The side of a channel that receives changes; implemented by a joined channel. */
export interface ChangeSubscriber {
  readonly role: string
  readonly claimsJson: string
  /** Undefined until "Subscribed to PostgreSQL": changes in that gap are lost, as on the real server. */
  readonly bindings: ActiveBinding[] | undefined
  deliverChange(ids: number[], dataJson: string): void
}

/** A subscription request the server refuses, with the text the client sees in the system message. */
export class SubscriptionError extends Error {
  override name = 'SubscriptionError'
}

export interface PostgresChangesOptions {
  pool: pg.Pool
  publication: string
  /** Share of deliveries to drop silently (fault injection), 0..1. Read on every delivery. */
  dropRatio: () => number
  random?: () => number
}

interface PendingDelivery {
  subscriber: ChangeSubscriber
  ids: number[]
  change: DecodedChange
  /** The table has RLS enabled (DELETEs then carry only the key in old_record). */
  rlsTable: boolean
  /** INSERT/UPDATE on an RLS table for a role that does not bypass RLS. */
  needsRowCheck?: boolean
  /** Which check group and which key in it answers this delivery's visibility. */
  check: number
  checkIndex: number
}

/**
 * postgres_changes for every channel: turns join params into validated bindings, and fans each committed
 * transaction out to matching subscribers with RLS applied per subscriber, in commit order.
 */
export class PostgresChanges {
  private readonly subscribers = new Set<ChangeSubscriber>()
  private readonly visibility: RowVisibility
  private tail: Promise<void> = Promise.resolve()
  private busy = 0
  readonly stats = { delivered: 0, dropped: 0, hidden: 0 }

  constructor(private readonly options: PostgresChangesOptions) {
    this.visibility = new RowVisibility(options.pool)
  }

  add(subscriber: ChangeSubscriber): void {
    this.subscribers.add(subscriber)
  }

  remove(subscriber: ChangeSubscriber): void {
    this.subscribers.delete(subscriber)
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  /**
   * Validates a channel's bindings against the catalog and the publication, all or nothing as the real
   * server's single-transaction insert is. Throws {@link SubscriptionError} with the server's text.
   */
  async subscribe(params: PostgresChangeParams[]): Promise<ActiveBinding[]> {
    // Parsing runs in join order and stops at the first malformed binding (subscriptions.ex).
    const parsed: { param: PostgresChangeParams; clauses: FilterClause[] }[] = []
    for (const param of params) {
      if (!param.schema && !param.table) {
        throw new SubscriptionError(
          `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${inspectMap(param.raw)}`,
        )
      }
      try {
        parsed.push({ param, clauses: parseFilter(param.filter) })
      } catch (error) {
        throw new SubscriptionError(error instanceof Error ? error.message : String(error))
      }
    }
    const published = await this.options.pool.query<{ schemaname: string; tablename: string }>(
      'select schemaname, tablename from pg_publication_tables where pubname = $1',
      [this.options.publication],
    )
    // The inserts run in reverse join order in one transaction, so the last invalid binding is the one reported.
    const bindings: ActiveBinding[] = []
    for (const { param, clauses } of [...parsed].reverse()) {
      const logParams = { event: param.raw.event, schema: param.schema, table: param.table, select: Array.isArray(param.raw.select) ? param.raw.select : null }
      const inPublication = published.rows.some(
        (row) => row.schemaname === param.schema && (param.table === '*' || row.tablename === param.table),
      )
      if (!inPublication) throw new SubscriptionError(subscriptionNotPublishedMessage(logParams, clauses))
      let matches: ActiveBinding['matches']
      if (clauses.length > 0 && param.table !== '*') {
        const columns = await this.columnsOf(param.schema, param.table)
        try {
          matches = compileFilter(clauses, columns)
        } catch (error) {
          if (error instanceof FilterValidationError || error instanceof PgError) {
            throw new SubscriptionError(subscriptionInsertFailedMessage(logParams, clauses, error))
          }
          throw error
        }
      }
      bindings.unshift({ id: param.id, event: param.event, schema: param.schema, table: param.table, matches })
    }
    return bindings
  }

  private async columnsOf(schema: string, table: string): Promise<{ name: string; type: string }[]> {
    const { rows } = await this.options.pool.query<{ name: string; type: string }>(
      `select a.attname as name, t.typname as type
         from pg_attribute a join pg_type t on t.oid = a.atttypid
        where a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [schema, table],
    )
    return rows
  }

  /** Queues one committed transaction; deliveries keep commit order even when RLS checks are awaited. */
  handleTransaction(changes: DecodedChange[]): void {
    if (this.busy === 0) {
      const result = this.process(changes)
      if (result) this.chain(result)
      return
    }
    this.chain(this.tail.then(() => this.process(changes)))
  }

  private chain(work: Promise<void>): void {
    this.busy++
    this.tail = work
      .catch(() => undefined)
      .finally(() => {
        this.busy--
      })
  }

  /** Resolves when every queued transaction has been delivered (tests and shutdown). */
  idle(): Promise<void> {
    return this.tail
  }

  /** Returns a promise only when it had to wait for Postgres (RLS), so the common path stays synchronous. */
  private process(changes: DecodedChange[]): Promise<void> | undefined {
    const pending: PendingDelivery[] = []
    for (const change of changes) {
      for (const subscriber of this.subscribers) {
        const ids = matchingIds(subscriber.bindings, change)
        if (ids) pending.push({ subscriber, ids, change, rlsTable: false, check: -1, checkIndex: -1 })
      }
    }
    if (pending.length === 0) return undefined
    if (this.planChecks(pending)) {
      this.deliver(pending, [])
      return undefined
    }
    return (async () => {
      const relationIds = [...new Set(pending.map((delivery) => delivery.change.relationId))]
      const roles = [...new Set(pending.map((delivery) => delivery.subscriber.role))]
      await this.visibility.load(relationIds, roles)
      this.planChecks(pending)
      const groups = new Map<string, { change: DecodedChange; role: string; claimsJson: string; keys: Record<string, unknown>[]; index: number }>()
      for (const delivery of pending) {
        if (!delivery.needsRowCheck) continue
        const groupKey = `${delivery.change.relationId}\u0000${delivery.subscriber.role}\u0000${delivery.subscriber.claimsJson}`
        let group = groups.get(groupKey)
        if (!group) {
          group = { change: delivery.change, role: delivery.subscriber.role, claimsJson: delivery.subscriber.claimsJson, keys: [], index: groups.size }
          groups.set(groupKey, group)
        }
        delivery.check = group.index
        delivery.checkIndex = group.keys.length
        group.keys.push(keyOf(delivery.change))
      }
      const results = await Promise.all(
        [...groups.values()].map((group) => {
          const keyColumns = group.change.columns.filter((column) => group.change.primaryKey.includes(column.name))
          return this.visibility.visible(group.change.schema, group.change.table, keyColumns, group.keys, group.role, group.claimsJson)
        }),
      )
      this.deliver(pending, results)
    })()
  }

  /**
   * Marks which deliveries go to RLS tables and which need a row check. Returns true when everything was
   * known from the cache and no row check is needed, so delivery can happen synchronously.
   */
  private planChecks(pending: PendingDelivery[]): boolean {
    let synchronous = true
    for (const delivery of pending) {
      const rls = this.visibility.cachedRls(delivery.change.relationId)
      if (rls === undefined) {
        synchronous = false
        continue
      }
      delivery.rlsTable = rls
      if (!rls || delivery.change.type === 'DELETE') continue
      const bypass = this.visibility.cachedBypass(delivery.subscriber.role)
      if (bypass === undefined) synchronous = false
      else if (!bypass) {
        delivery.needsRowCheck = true
        synchronous = false
      }
    }
    return synchronous
  }

  private deliver(pending: PendingDelivery[], results: Set<number>[]): void {
    const random = this.options.random ?? Math.random
    const dataCache = new Map<DecodedChange, { full: string; keyOnly?: string }>()
    for (const delivery of pending) {
      if (delivery.needsRowCheck && !results[delivery.check]?.has(delivery.checkIndex)) {
        this.stats.hidden++
        continue
      }
      const ratio = this.options.dropRatio()
      if (ratio > 0 && random() < ratio) {
        this.stats.dropped++
        continue
      }
      let cached = dataCache.get(delivery.change)
      if (!cached) dataCache.set(delivery.change, (cached = { full: JSON.stringify(payloadData(delivery.change, false)) }))
      let dataJson = cached.full
      // On RLS tables a DELETE's old_record is cut to the primary key even under REPLICA IDENTITY FULL.
      if (delivery.change.type === 'DELETE' && delivery.rlsTable) {
        dataJson = cached.keyOnly ??= JSON.stringify(payloadData(delivery.change, true))
      }
      this.stats.delivered++
      delivery.subscriber.deliverChange(delivery.ids, dataJson)
    }
  }
}

function matchingIds(bindings: ActiveBinding[] | undefined, change: DecodedChange): number[] | undefined {
  if (!bindings) return undefined
  let ids: number[] | undefined
  for (const binding of bindings) {
    if (binding.schema !== change.schema) continue
    if (binding.table !== '*' && binding.table !== change.table) continue
    if (binding.event !== '*' && binding.event !== change.type) continue
    if (binding.matches) {
      // DELETE filters run on the old identity: a filter on a non-key column never matches under DEFAULT.
      const row = change.type === 'DELETE' ? change.oldRecord : change.record
      if (!row || !binding.matches(row)) continue
    }
    if (!ids) ids = [binding.id]
    else if (!ids.includes(binding.id)) ids.push(binding.id)
  }
  return ids
}

function keyOf(change: DecodedChange): Record<string, unknown> {
  const row = change.record ?? change.oldRecord ?? {}
  const key: Record<string, unknown> = {}
  for (const name of change.primaryKey) key[name] = row[name]
  return key
}

/** The `data` object of a postgres_changes push (research/realtime-protocol.md §1.7). */
function payloadData(change: DecodedChange, keyOnlyOld: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {
    schema: change.schema,
    table: change.table,
    commit_timestamp: change.commitTimestamp,
    type: change.type,
    columns: change.columns.map((column) => ({ name: column.name, type: column.type })),
  }
  if (change.type !== 'DELETE') data.record = change.record ?? {}
  if (change.type !== 'INSERT') {
    const old = change.oldRecord ?? {}
    data.old_record = keyOnlyOld ? Object.fromEntries(change.primaryKey.map((name) => [name, old[name]])) : old
  }
  data.errors = null
  return data
}

/** Elixir's inspect of a string-keyed map, as the server prints join params in errors. */
function inspectMap(value: Record<string, unknown>): string {
  return `%{${Object.entries(value).map(([key, entry]) => `"${key}" => ${JSON.stringify(entry)}`).join(', ')}}`
}

