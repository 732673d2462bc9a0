import { SupasyncError, type RoomHandle, type Supasync } from '@supasync/core'
import { PollingError } from './errors.js'
import type { Row } from './RestReader.js'
import { rowKey } from './rowKey.js'
import { parseVersion } from './versions.js'

/**
 * What one `realtime.broadcast_changes` message asks of a live table, read from its payload
 * `{ operation, record, old_record, table, schema }`:
 * - `upsert`: the row as it is now (INSERT, UPDATE), versioned by its cursor column;
 * - `delete`: the key is gone; `version` is the deleted row's cursor value when the trigger passed the whole old row;
 * - `bad`: the message is for this table but cannot be applied (`why` says what the trigger must send).
 */
export type DatabaseChange =
  | { kind: 'upsert'; key: string; row: Row; version: number }
  | { kind: 'delete'; key: string; version: number | undefined }
  | { kind: 'bad'; why: string }

const OPERATIONS = new Set(['INSERT', 'UPDATE', 'DELETE'])

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Reads a broadcast payload as a change of `schema.table`. Undefined for anything else on the topic: other tables'
 * changes (one topic per project may carry several tables) and the app's own broadcasts are none of this table's
 * business. There is no commit timestamp in these messages: the version comes from the row's cursor column, as in
 * a poll.
 */
export function readDatabaseChange(
  payload: unknown,
  target: { schema: string; table: string; primaryKey: readonly string[]; cursor: string },
): DatabaseChange | undefined {
  if (!isRow(payload) || payload.table !== target.table || payload.schema !== target.schema) return undefined
  const operation = payload.operation
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) return undefined
  const { primaryKey, cursor } = target
  if (operation === 'DELETE') {
    const old = payload.old_record
    const key = isRow(old) ? rowKey(old, primaryKey) : undefined
    if (key === undefined) return { kind: 'bad', why: `a DELETE without the old row's primary key (${primaryKey.join(', ')}) in old_record: pass OLD to realtime.broadcast_changes` }
    return { kind: 'delete', key, version: parseVersion((old as Row)[cursor]) }
  }
  const row = payload.record
  const key = isRow(row) ? rowKey(row, primaryKey) : undefined
  const version = isRow(row) ? parseVersion(row[cursor]) : undefined
  if (key === undefined || version === undefined) {
    return { kind: 'bad', why: `an ${operation} whose record lacks the primary key (${primaryKey.join(', ')}) or a timestamp in ${cursor}: pass NEW to realtime.broadcast_changes, and check the primaryKey and cursor options` }
  }
  return { kind: 'upsert', key, row: row as Row, version }
}

export interface FeedHandlers {
  /** A broadcast of this table's changes arrived. */
  change(change: DatabaseChange): void
  /** The room (re)joined: nothing committed while it was not joined was delivered. */
  joined(): void
  /** The room's status changed (joined or not). */
  statusChanged(): void
}

/**
 * The broadcast source of a live table: one holder of the shared private room on `topic` (live tables of one topic
 * share its channel, each with its own listener). The room is acquired at construction, so options that clash with
 * another holder of the topic fail before the table allocates anything; `start()` attaches the listeners.
 */
export class BroadcastFeed {
  private readonly room: RoomHandle
  private readonly offs: (() => void)[] = []
  private wasJoined = false

  constructor(
    sync: Supasync,
    readonly topic: string,
    private readonly target: { schema: string; table: string; primaryKey: readonly string[]; cursor: string },
  ) {
    try {
      this.room = sync.channel(topic, { private: true })
    } catch (cause) {
      if (cause instanceof SupasyncError && cause.code === 'CONFIG_CONFLICT') {
        throw new PollingError('INVALID_OPTIONS', `createLiveTable: source 'broadcast' joins topic ${JSON.stringify(topic)} as sync.channel(topic, { private: true }), but ${cause.message} Open the topic elsewhere with { private: true } as well, or without options.`, { cause })
      }
      throw cause
    }
  }

  start(handlers: FeedHandlers): void {
    this.offs.push(this.room.on('*', (payload) => {
      const change = readDatabaseChange(payload, this.target)
      if (change) handlers.change(change)
    }))
    // A room already joined when the table came (another holder's) needs no catch-up: the load reads after it.
    this.wasJoined = this.joined
    this.offs.push(this.room.status.subscribe(() => {
      const joined = this.joined
      // Deliveries flow once the channel is joined (the server subscribes it to the topic before its join reply);
      // what was committed while it was not is read by the catch-up.
      if (joined && !this.wasJoined) handlers.joined()
      this.wasJoined = joined
      handlers.statusChanged()
    }))
  }

  get joined(): boolean {
    return this.room.status.get() === 'joined'
  }

  /**
   * Why realtime does not flow, when the server refused or closed the room: it is 'errored' with no channel (the
   * pool removed it to wait for a new token, to stop, or to re-create it after a backoff), or 'closed'. A channel
   * errored by a dead socket stays (realtime-js rejoins it) and is no refusal. The server's own words come from the
   * room's error (`room.error.reason`, also reported to createSupasync's onError).
   */
  refusal(pollIntervalMs: number): PollingError | undefined {
    const status = this.room.status.get()
    if (status === 'closed') {
      return new PollingError('REALTIME_REFUSED', `The channel of topic ${JSON.stringify(this.topic)} was closed (its supasync instance was destroyed?): the live table polls every ${Math.round(pollIntervalMs)} ms. Create the live table on a live supasync instance.`)
    }
    if (status !== 'errored' || this.room.realtimeChannel() !== undefined) return undefined
    const reason = this.room.error?.reason
    return new PollingError(
      'REALTIME_REFUSED',
      `Realtime refused or closed the private topic ${JSON.stringify(this.topic)} of live table ${this.target.table} (${reason === undefined ? "the server's reason went to createSupasync's onError" : `the server said: ${reason}`}); the table polls every ${Math.round(pollIntervalMs)} ms until it joins. ` +
        'If the reason is Unauthorized, add a SELECT policy on realtime.messages that admits this user for the topic (example: packages/polling/sql/README.md, "Broadcast from Database"); supasync joins again when the access token changes.',
    )
  }

  release(): void {
    for (const off of this.offs.splice(0)) off()
    this.room.release()
  }
}
