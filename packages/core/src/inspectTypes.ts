import type { ConnectionState } from './ConnectionMonitor.js'

// What `sync.inspect()` reports (issue #17) and how it reaches a panel. Types only: the devtools panel, monitoring
// bridges and tests share them without pulling in any of core's code.
//
// Conventions, so that a reader never has to guess a unit:
// - every `…At` is a wall-clock time in epoch ms (core places its never-backward port clock on the wall clock with
//   `toWallTime`), so a panel computes ages with its own `Date.now()`;
// - every `…Ms` is a duration in ms;
// - counters start at 0 when the instance is created and only grow.
//
// Privacy: a snapshot carries counts, keys, ids, topics, filters and error codes and messages, never tokens, row
// contents, broadcast payloads or presence states. Whatever renders it may therefore show every field it knows.

/** The format of {@link InspectSnapshot}; it changes when a field changes meaning, so a reader can tell an older core. */
export type InspectVersion = 1

/**
 * One picture of everything a supasync instance holds: `sync.inspect()`. The same object is returned until something
 * in it changes (reads are cheap and allocate nothing while the instance is quiet); `sync.subscribeInspect(fn)` calls
 * `fn` after each change.
 */
export interface InspectSnapshot {
  /** Format of this snapshot; see {@link InspectVersion}. */
  readonly version: InspectVersion
  /** When this snapshot was taken, epoch ms. Durations in it (`stalenessMs`) are as of this moment. */
  readonly takenAt: number
  /** The realtime socket. */
  readonly connection: InspectConnection
  /** Realtime channels this instance holds: rooms and the pool's changes channels. */
  readonly channels: readonly InspectChannel[]
  /** Live tables (`@supasync/polling`) registered with the instance. */
  readonly liveTables: readonly InspectLiveTable[]
  /** Offline write queues (`@supasync/queue`) registered with the instance. */
  readonly queues: readonly InspectQueue[]
  /** Presence rooms (`@supasync/presence`) registered with the instance. */
  readonly presence: readonly InspectPresenceRoom[]
}

/** The realtime socket and its liveness, as the connection monitor sees it. */
export interface InspectConnection {
  /** `sync.status.get().state`: 'connecting', 'live', 'degraded' or 'offline'. */
  readonly state: ConnectionState
  /** When `state` last changed, epoch ms. */
  readonly since: number
  /** Last heartbeat round trip in ms; undefined before the first reply. */
  readonly rttMs: number | undefined
  /** Connected, and a heartbeat was answered within the last two intervals (ignores channels). */
  readonly socketProven: boolean
  /** When the last heartbeat reply arrived, epoch ms; undefined before the first. */
  readonly heartbeatAt: number | undefined
  /** The interval the monitor sends heartbeats at, in ms. */
  readonly heartbeatIntervalMs: number
  /** Times the socket opened again after it had closed or been torn down (the first open is not counted). */
  readonly reconnects: number
  /** Heartbeats that got no reply in time (a silently dead socket noticed). */
  readonly heartbeatTimeouts: number
  /** Realtime channels on the socket now (rooms + changes channels). */
  readonly channels: number
  /** The instance's `maxChannels` limit. */
  readonly maxChannels: number
  /** Room holders + changes leases now. */
  readonly leases: number
}

/** Where a channel is. 'leaving': the last holder released it and the grace period is running. */
export type InspectChannelStatus = 'joining' | 'joined' | 'errored' | 'leaving' | 'closed'

/** One realtime channel. */
export interface InspectChannel {
  /** The topic without realtime-js's `realtime:` prefix; the pool's changes channels have internal topics. */
  readonly topic: string
  /** 'room' for `sync.channel(topic)`, 'changes' for a channel of the changes pool. */
  readonly kind: 'room' | 'changes'
  /** Joined as a private channel (authorized by RLS policies on `realtime.messages`). */
  readonly private: boolean
  readonly status: InspectChannelStatus
  /** Room handles holding it, or, for a changes channel, the leases of its bindings. */
  readonly holders: number
  /** What the channel listens to. */
  readonly bindings: readonly InspectBinding[]
  /** Times it was joined: the first join and every rejoin or re-creation. */
  readonly joins: number
  /** When it was last joined (SUBSCRIBED), epoch ms; undefined while it never was. */
  readonly joinedAt: number | undefined
  /** The last message it delivered (name and time only, never the payload); undefined before the first. */
  readonly lastEvent: InspectEvent | undefined
  /** Why the server refused or closed it last; undefined once it joined again. */
  readonly error: InspectError | undefined
}

/** One binding of a channel: a postgres_changes subscription, or the listeners of a room. */
export type InspectBinding = InspectChangesBinding | InspectBroadcastBinding | InspectPresenceBinding

/** A postgres_changes subscription shared by `leases` callers of `sync.changes()`. */
export interface InspectChangesBinding {
  readonly type: 'postgres_changes'
  readonly schema: string
  readonly table: string
  readonly event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
  /** The server-side filter as sent, e.g. `project_id=eq.42`; undefined for none. */
  readonly filter: string | undefined
  /** `sync.changes()` leases sharing it. */
  readonly leases: number
}

/** Room listeners of one broadcast event. */
export interface InspectBroadcastBinding {
  readonly type: 'broadcast'
  /** The event name listened to. */
  readonly event: string
  /** Listeners registered with `room.on(event, …)`. */
  readonly listeners: number
}

/** Presence on a room. */
export interface InspectPresenceBinding {
  readonly type: 'presence'
  /** Presence listeners on the room. */
  readonly listeners: number
}

/** A message a channel delivered, without its payload. */
export interface InspectEvent {
  readonly type: 'postgres_changes' | 'broadcast' | 'presence' | 'system'
  /** `INSERT public.components`, a broadcast event name, `sync`/`join`/`leave`, or the system message's extension. */
  readonly name: string
  /** When it arrived, epoch ms. */
  readonly at: number
}

/** An error, as code and message (the message says how to fix the cause). */
export interface InspectError {
  /** `SupasyncError.code` (or a package's own code, e.g. polling's). */
  readonly code: string
  readonly message: string
}

/** How a live table is kept fresh: polling's `LiveMode`. */
export type InspectLiveMode = 'realtime' | 'polling' | 'catching-up' | 'offline'

/** One live table (`createLiveTable`), shared by `holders`. */
export interface InspectLiveTable {
  /** Stable for the table's life within the instance. */
  readonly id: string
  readonly schema: string
  readonly table: string
  /** Column → value, ANDed (the options' `filter`); `{}` for the whole table. */
  readonly filter: Readonly<Record<string, string | number | boolean | null>>
  /** Where realtime changes come from: postgres_changes, or a private topic fed by `realtime.broadcast_changes`. */
  readonly source: 'postgres_changes' | 'broadcast'
  readonly mode: InspectLiveMode
  /** Every change committed before this is in the view, epoch ms; undefined before the first sync. */
  readonly lastSyncedAt: number | undefined
  /** How far the view may be behind at `takenAt`, in ms. */
  readonly stalenessMs: number
  /** The budget: a committed change is in the view within this many ms (`maxStalenessMs`). */
  readonly maxStalenessMs: number
  /** Rows in the view (a count, never their contents). */
  readonly rows: number
  /** Holders sharing the table (`acquireLiveTable` leases, hooks, composables); 1 for a table created directly. */
  readonly holders: number
  /** Reads through PostgREST that completed: the first load, catch-ups, polls and verification polls. */
  readonly polls: number
  /** Reads through PostgREST that failed (they are retried). */
  readonly failedPolls: number
  /** When the last read completed, epoch ms; undefined before the first. */
  readonly lastPollAt: number | undefined
  /** Rows a verification poll found that realtime should have delivered by then (lost or late events). */
  readonly missedByRealtime: number
  /** The last failure of a read or of the subscription; undefined once a read succeeds. */
  readonly error: InspectError | undefined
}

/** One offline write queue (`createQueue`). */
export interface InspectQueue {
  /** Identifies the queue for {@link InspectActions}; stable for the queue's life. */
  readonly id: string
  /** The queue's namespace. */
  readonly name: string
  /** Where it stores its outbox, e.g. `IndexedDB supasync-queue` or `memory`. */
  readonly storage: string
  /** Writes not yet confirmed by the server (`status.pending`). */
  readonly pending: number
  /** Dead letters (`status.failed`). */
  readonly failed: number
  /** A request is in flight or backing off. */
  readonly flushing: boolean
  /** When the oldest pending write was enqueued, epoch ms; undefined with nothing pending. */
  readonly oldestPendingAt: number | undefined
  /** Pending writes, oldest first. */
  readonly pendingWrites: readonly InspectPendingWrite[]
  /** Dead letters, oldest first: each waits for `retry(id)` or `discard(id)`. */
  readonly deadLetters: readonly InspectDeadLetter[]
  /** The latest failure; undefined once a request succeeds with nothing left waiting. */
  readonly lastError: InspectQueueFailure | undefined
}

/** What a queued write is, without its values. */
export interface InspectWrite {
  /** The queue's entry id: what `queue.retry(id)` and `queue.discard(id)` take. */
  readonly id: string
  /** `upsert components (3 rows)`, `update components where {"id":"c-1"}`, `rpc advance`, or `corrupt entry`. */
  readonly description: string
  /** The operation; 'corrupt' for a stored entry that could not be read. */
  readonly kind: 'insert' | 'upsert' | 'update' | 'delete' | 'rpc' | 'corrupt'
  /** The table or function written to; undefined for a corrupt entry. */
  readonly target: string | undefined
  /** Rows of an insert or upsert; undefined for other kinds. */
  readonly rowCount: number | undefined
  /** Requests sent for it so far, over all flushes. */
  readonly attempts: number
  /** When it was enqueued, epoch ms; undefined for a corrupt entry. */
  readonly enqueuedAt: number | undefined
}

/** Where a pending write is in the queue's life (the queue's entry states that still owe the server a write). */
export type InspectWriteState = 'storing' | 'pending' | 'inflight' | 'retrying' | 'waiting'

/** A write still owed to the server. */
export interface InspectPendingWrite extends InspectWrite {
  readonly state: InspectWriteState
}

/** A write the queue gave up on, with why. */
export interface InspectDeadLetter extends InspectWrite {
  readonly reason: InspectQueueFailure
}

/**
 * Why a write failed: the queue's `QueueFailure` without `details` and `hint`, which may quote row values
 * (Postgres' "Failing row contains (…)").
 */
export interface InspectQueueFailure {
  /** The queue's error code, e.g. `REJECTED`, `UNREACHABLE`, `CORRUPT_ENTRY`. */
  readonly code: string
  readonly message: string
  /** HTTP status; 0 for a network error; undefined for local failures. */
  readonly status: number | undefined
  /** PostgREST / Postgres error code, e.g. `23505`, `PGRST204`; undefined when there was none. */
  readonly pgCode: string | undefined
  /** When it happened, epoch ms. */
  readonly at: number
}

/** One presence room (`createPresence`). */
export interface InspectPresenceRoom {
  readonly topic: string
  /** This client's presence key (`createPresence`'s `key`); undefined for a source whose room does not track. */
  readonly selfKey: string | undefined
  /** Members by key (every tab and device of one key merged), without the state they publish. */
  readonly members: readonly InspectPresenceMember[]
}

/** A presence member: who and how present, never what they publish. */
export interface InspectPresenceMember {
  /** The presence key (usually the user id). */
  readonly key: string
  readonly status: 'online' | 'away' | 'offline'
  /** Connections (tabs, devices) of this key in the room now. */
  readonly connections: number
  readonly typing: boolean
  /** This client's own key. */
  readonly self: boolean
  /** When their presence last changed (or, offline, when they were last seen), epoch ms. */
  readonly lastSeen: number
}

/** What a panel may do to what it shows: actions on a queue's dead letters. */
export interface InspectActions {
  /** `queue.retry(entryId)` on the queue whose {@link InspectQueue.id} is `queueId`; rejects with the queue's error. */
  retryDeadLetter(queueId: string, entryId: string): Promise<void>
  /** `queue.discard(entryId)` on that queue: the write is dropped for good; rejects with the queue's error. */
  discardDeadLetter(queueId: string, entryId: string): Promise<void>
}

/**
 * How snapshots (and actions) reach a panel such as `mountDevtools`: a supasync instance, or anything shaped like
 * it (tests pass a fake).
 */
export interface InspectSource {
  /** The current snapshot; the same object until something changed. */
  inspect(): InspectSnapshot
  /** Calls `listener` after each change; returns a function that stops it. */
  subscribeInspect(listener: () => void): () => void
  /** Dead-letter actions; without them a panel lists dead letters without Retry / Discard. Default none. */
  readonly inspectActions?: InspectActions
}

// --- registration: how the packages built on core put their part into the snapshot ---------------------------

/** What each kind of registration contributes to the snapshot: one entry per registration. */
export interface InspectEntries {
  /** `@supasync/polling`: one live table. */
  liveTable: InspectLiveTable
  /** `@supasync/queue`: one offline write queue. */
  queue: InspectQueue
  /** `@supasync/presence`: one presence room. */
  presence: InspectPresenceRoom
}

/** A kind of registration: 'liveTable', 'queue' or 'presence'. */
export type InspectKind = keyof InspectEntries

/**
 * Builds a registration's entry. Called only while a snapshot is built, that is after some change anywhere in the
 * instance (a quiet `inspect()` calls no provider). `previous` is the entry it returned last time, handed back while
 * the registration has not called `changed()` since: return it as it is when nothing of yours moved (the snapshot's
 * section then keeps its identity and nothing is allocated), or build a new one (a live table does, because its
 * `stalenessMs` is as of `takenAt`). `previous` is undefined after `changed()` and on the first call.
 */
export type InspectProvider<K extends InspectKind> = (takenAt: number, previous: InspectEntries[K] | undefined) => InspectEntries[K]

/** What `sync.registerInspect()` returns to the package that registered. */
export interface InspectRegistration {
  /**
   * Stable for the registration's life and unique within the instance, e.g. `queue-2`: a live table's
   * {@link InspectLiveTable.id} and a queue's {@link InspectQueue.id} are this, so that {@link InspectActions} find
   * the queue again.
   */
  readonly id: string
  /**
   * Something this entry shows changed: the next snapshot asks the provider again, and `subscribeInspect` listeners
   * hear of it (coalesced into one call per burst). Cheap: a flag and, with listeners, one queued microtask.
   */
  changed(): void
  /** Removes the entry from the snapshot (the package's own destroy). Idempotent. */
  unregister(): void
}

/** A queue's dead-letter actions, routed to it by {@link InspectActions} through its registration id. */
export interface InspectDeadLetterActions {
  /** `queue.retry(entryId)`. */
  retry(entryId: string): Promise<void>
  /** `queue.discard(entryId)`. */
  discard(entryId: string): Promise<void>
}
