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
  /**
   * The `select` column list, sorted as the server's trigger stores it (`selected_columns`); absent means every
   * column. Payloads then carry only these columns plus the primary key.
   */
  select?: readonly string[]
  /** Bindings with equal keys get the same payload (one frame per distinct key); '' for every column. */
  selectKey: string
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

/** The bindings of one channel that match a change and share a `select`: one frame. */
interface MatchGroup {
  ids: number[]
  select: readonly string[] | undefined
  key: string
}

interface PendingDelivery {
  subscriber: ChangeSubscriber
  /** One per distinct `select` among the matching bindings, in the order the server sends them. */
  groups: MatchGroup[]
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
   * `role` is the subscriber's role, which must be able to SELECT every `select` column; by default it is
   * the role of the added subscriber whose join config holds `params`.
   */
  async subscribe(params: readonly PostgresChangeParams[], role?: string): Promise<ActiveBinding[]> {
    // Parsing runs in join order and stops at the first malformed binding (subscriptions.ex
    // parse_subscription_params/1: the select list first, then schema/table, then the filter, then wildcards).
    const parsed: { param: PostgresChangeParams; clauses: FilterClause[]; select: string[] | undefined }[] = []
    for (const param of params) {
      const select = parseSelect(param.raw)
      if (!param.schema && !param.table) {
        throw new SubscriptionError(
          `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${inspectMap(param.raw)}`,
        )
      }
      let clauses: FilterClause[]
      try {
        clauses = parseFilter(param.filter)
      } catch (error) {
        throw new SubscriptionError(error instanceof Error ? error.message : String(error))
      }
      if (select && (param.schema === '*' || param.table === '*')) throw new SubscriptionError(SELECT_ON_WILDCARD)
      parsed.push({ param, clauses, select })
    }
    const published = await this.options.pool.query<{ schemaname: string; tablename: string }>(
      'select schemaname, tablename from pg_publication_tables where pubname = $1',
      [this.options.publication],
    )
    // The inserts run in reverse join order in one transaction, so the last invalid binding is the one reported.
    const bindings: ActiveBinding[] = []
    for (const { param, clauses, select } of [...parsed].reverse()) {
      const logParams = { event: param.raw.event, schema: param.schema, table: param.table, select: select ?? null }
      const inPublication = published.rows.some(
        (row) => row.schemaname === param.schema && (param.table === '*' || row.tablename === param.table),
      )
      if (!inPublication) throw new SubscriptionError(subscriptionNotPublishedMessage(logParams, clauses))
      let matches: ActiveBinding['matches']
      if ((clauses.length > 0 || select) && param.table !== '*') {
        let columns: CatalogColumn[]
        try {
          columns = await this.columnsOf(param.schema, param.table, select ? role : undefined)
        } catch (error) {
          // e.g. an unknown role: has_column_privilege raises inside the server's trigger too.
          const code = (error as { code?: unknown }).code
          if (typeof code !== 'string') throw error
          throw new SubscriptionError(subscriptionInsertFailedMessage(logParams, clauses, new PgError(code, (error as Error).message)))
        }
        try {
          // The trigger (subscription_check_filters) checks every filter, then every selected column in order.
          if (clauses.length > 0) matches = compileFilter(clauses, columns)
          if (select) {
            const invalid = select.find((name) => !columns.some((column) => column.name === name && column.readable !== false))
            if (invalid !== undefined) throw new PgError('P0001', `invalid column for select ${invalid}`)
          }
        } catch (error) {
          if (error instanceof FilterValidationError || error instanceof PgError) {
            throw new SubscriptionError(subscriptionInsertFailedMessage(logParams, clauses, error))
          }
          throw error
        }
      }
      // Stored sorted (`array_agg(c order by c)`), duplicates kept: the key is what `is not distinct from` compares.
      const sorted = select ? [...select].sort() : undefined
      bindings.unshift({ id: param.id, event: param.event, schema: param.schema, table: param.table, matches, select: sorted, selectKey: sorted ? JSON.stringify(sorted) : '' })
    }
    return bindings
  }

  /** The table's columns; with a role, also whether that role may SELECT each (`readable`, else null). */
  private async columnsOf(schema: string, table: string, role?: string): Promise<CatalogColumn[]> {
    const { rows } = await this.options.pool.query<CatalogColumn>(
      `select a.attname as name, t.typname as type,
              case when $3::text is null then null else has_column_privilege($3::text, a.attrelid, a.attnum, 'SELECT') end as readable
         from pg_attribute a join pg_type t on t.oid = a.atttypid
        where a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [schema, table, role ?? null],
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
        const groups = matchingGroups(subscriber.bindings, change)
        if (groups) pending.push({ subscriber, groups, change, rlsTable: false, check: -1, checkIndex: -1 })
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
    // Each payload is serialized once per change and select list, however many channels receive it.
    const dataCache = new Map<DecodedChange, Map<string, { full?: string; keyOnly?: string }>>()
    for (const delivery of pending) {
      const { change, groups } = delivery
      if (delivery.needsRowCheck && !results[delivery.check]?.has(delivery.checkIndex)) {
        this.stats.hidden += groups.length
        continue
      }
      let perSelect = dataCache.get(change)
      if (!perSelect) dataCache.set(change, (perSelect = new Map()))
      // On RLS tables a DELETE's old_record is cut to the primary key even under REPLICA IDENTITY FULL.
      const keyOnly = change.type === 'DELETE' && delivery.rlsTable
      for (const group of groups) {
        const ratio = this.options.dropRatio()
        if (ratio > 0 && random() < ratio) {
          this.stats.dropped++
          continue
        }
        let cached = perSelect.get(group.key)
        if (!cached) perSelect.set(group.key, (cached = {}))
        const dataJson = keyOnly
          ? (cached.keyOnly ??= JSON.stringify(payloadData(change, true, group.select)))
          : (cached.full ??= JSON.stringify(payloadData(change, false, group.select)))
        this.stats.delivered++
        delivery.subscriber.deliverChange(group.ids, dataJson)
      }
    }
  }
}

/**
 * The channel's bindings that match a change, grouped by `select`. The server's apply_rls returns one row per
 * distinct `selected_columns` (ordered by `coalesce(array_to_string(selected_columns, ','), '')`), and its
 * dispatcher sends each channel one frame per row that names any of its bindings, with those bindings' ids.
 */
function matchingGroups(bindings: ActiveBinding[] | undefined, change: DecodedChange): MatchGroup[] | undefined {
  if (!bindings) return undefined
  let groups: MatchGroup[] | undefined
  for (const binding of bindings) {
    if (binding.schema !== change.schema) continue
    if (binding.table !== '*' && binding.table !== change.table) continue
    if (binding.event !== '*' && binding.event !== change.type) continue
    if (binding.matches) {
      // DELETE filters run on the old identity: a filter on a non-key column never matches under DEFAULT.
      const row = change.type === 'DELETE' ? change.oldRecord : change.record
      if (!row || !binding.matches(row)) continue
    }
    let group = groups?.find((candidate) => candidate.key === binding.selectKey)
    if (!group) (groups ??= []).push((group = { ids: [], select: binding.select, key: binding.selectKey }))
    if (!group.ids.includes(binding.id)) group.ids.push(binding.id)
  }
  if (groups && groups.length > 1) {
    const order = (group: MatchGroup) => group.select?.join(',') ?? ''
    groups.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
  }
  return groups
}

function keyOf(change: DecodedChange): Record<string, unknown> {
  const row = change.record ?? change.oldRecord ?? {}
  const key: Record<string, unknown> = {}
  for (const name of change.primaryKey) key[name] = row[name]
  return key
}

/**
 * The `data` object of a postgres_changes push (research/realtime-protocol.md §1.7). With a `select` list,
 * `columns`, `record` and `old_record` keep only the selected and the primary-key columns (apply_rls).
 */
function payloadData(change: DecodedChange, keyOnlyOld: boolean, select?: readonly string[]): Record<string, unknown> {
  const keep = select ? new Set([...select, ...change.primaryKey]) : undefined
  const data: Record<string, unknown> = {
    schema: change.schema,
    table: change.table,
    commit_timestamp: change.commitTimestamp,
    type: change.type,
    columns: change.columns.filter((column) => !keep || keep.has(column.name)).map((column) => ({ name: column.name, type: column.type })),
  }
  if (change.type !== 'DELETE') data.record = pick(change.record ?? {}, keep)
  if (change.type !== 'INSERT') {
    const old = change.oldRecord ?? {}
    data.old_record = keyOnlyOld ? Object.fromEntries(change.primaryKey.map((name) => [name, old[name]])) : pick(old, keep)
  }
  data.errors = null
  return data
}

function pick(row: Record<string, unknown>, keep: ReadonlySet<string> | undefined): Record<string, unknown> {
  if (!keep) return row
  const picked: Record<string, unknown> = {}
  for (const name in row) if (keep.has(name)) picked[name] = row[name]
  return picked
}

/**
 * parse_select/1 of subscriptions.ex: a list keeps its strings (none left means every column), a string is
 * refused, anything else means every column.
 */
function parseSelect(raw: Record<string, unknown>): string[] | undefined {
  const select = raw.select
  if (typeof select === 'string') throw new SubscriptionError(SELECT_NOT_A_LIST)
  if (!Array.isArray(select)) return undefined
  const names = select.filter((entry): entry is string => typeof entry === 'string')
  return names.length > 0 ? names : undefined
}

const SELECT_NOT_A_LIST = 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]'
const SELECT_ON_WILDCARD = 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.'

interface CatalogColumn {
  name: string
  type: string
  /** has_column_privilege(role, …, 'SELECT'); null when no role was asked about. */
  readable: boolean | null
}

/** Elixir's inspect of a string-keyed map, as the server prints join params in errors. */
function inspectMap(value: Record<string, unknown>): string {
  return `%{${Object.entries(value).map(([key, entry]) => `"${key}" => ${JSON.stringify(entry)}`).join(', ')}}`
}

