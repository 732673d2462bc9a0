import { signature, type DesiredMeta } from './meta.js'
import type { ConnectionMeta, PresenceMember, PresenceState, PresenceStatus } from './types.js'

/**
 * Every state transition of a presence room's member list, in one pure reducer.
 *
 * - `server`: the channel's presence state changed (a diff, or a full presence_state after a (re)join).
 *   Connections are matched by their per-connection id, not the server's ref, so a connection that rejoins
 *   and tracks the same payload again is not a change. A connection missing from the server's state is kept
 *   ("lingering") for `reconnectGraceMs`: a rejoin rebuilds the state from presence_state while the others are
 *   still re-tracking, and a dropped socket reconnects within seconds; neither flashes the member out and in.
 *   A connection that announced its leave (`departing`) is dropped at once instead: it is not coming back.
 * - `self`: this connection's desired payload changed; it is shown at once on its own entry (the others see it
 *   once the rate-limited track goes out).
 * - `tick`: time passed: lingering connections past their grace are dropped (a member with none left turns
 *   `offline`), and offline members past `offlineRetentionMs` leave the list.
 *
 * Unchanged members keep their object, and an unchanged list keeps its array (store contract).
 */

export interface ReducerConfig {
  readonly selfKey: string
  readonly selfConn: string
  readonly reconnectGraceMs: number
  readonly offlineRetentionMs: number
}

interface ConnectionRecord<S extends object> extends ConnectionMeta<S> {
  readonly sig: string
  /** Order in which changes were seen on this client; the connection with the highest wins the member's state. */
  readonly seq: number
  /** Missing from the server's state since then (this client's clock); dropped at `goneAt + reconnectGraceMs`. */
  readonly goneAt?: number
}

interface MemberRecord<S extends object> {
  readonly key: string
  readonly conns: ReadonlyMap<string, ConnectionRecord<S>>
  readonly lastSeen: number
  /** When the member turned offline (its last connection dropped). */
  readonly offlineAt?: number
  /** Next time a `tick` changes this member. */
  readonly deadline?: number
  readonly view: PresenceMember<S>
}

export interface PresenceModel<S extends object = PresenceState> {
  readonly members: ReadonlyMap<string, MemberRecord<S>>
  readonly list: readonly PresenceMember<S>[]
  /** Keys of the other members typing now (own key left out). */
  readonly typing: readonly string[]
  readonly self: (DesiredMeta<S> & { at: number }) | undefined
  readonly seq: number
  /** Earliest time a `tick` would change something; undefined when nothing is pending. */
  readonly nextDeadline: number | undefined
}

export type PresenceAction<S extends object = PresenceState> =
  | {
      type: 'server'
      now: number
      /** key → connection id → entry: the channel's whole presence state. */
      presences: ReadonlyMap<string, ReadonlyMap<string, ConnectionMeta<S>>>
      /** Only these keys changed; all keys (and every member not in `presences`) when omitted. */
      keys?: Iterable<string>
      /**
       * Connections that announced a deliberate leave (see `LeaveSignals`): missing from `presences`, they are dropped
       * at once instead of lingering for `reconnectGraceMs`. One still in `presences` is not affected.
       */
      departing?: ReadonlySet<string>
    }
  | { type: 'self'; now: number; desired: DesiredMeta<S>; at: number }
  | { type: 'tick'; now: number }

const EMPTY_LIST: readonly never[] = Object.freeze([])

export function initialModel<S extends object = PresenceState>(): PresenceModel<S> {
  return { members: new Map(), list: EMPTY_LIST, typing: EMPTY_LIST, self: undefined, seq: 0, nextDeadline: undefined }
}

export function reducePresence<S extends object>(model: PresenceModel<S>, action: PresenceAction<S>, config: ReducerConfig): PresenceModel<S> {
  const counter = { seq: model.seq }
  const updates = new Map<string, MemberRecord<S> | undefined>()
  let self = model.self
  if (action.type === 'server') {
    const keys = action.keys ? new Set(action.keys) : new Set([...model.members.keys(), ...action.presences.keys()])
    for (const key of keys) {
      const next = reconcile(model.members.get(key), key, action.presences.get(key), action.now, config, self, counter, action.departing)
      if (next !== model.members.get(key)) updates.set(key, next)
    }
  } else if (action.type === 'self') {
    self = { ...action.desired, at: action.at }
    const member = model.members.get(config.selfKey)
    const own = member?.conns.get(config.selfConn)
    const sig = signature(action.desired)
    if (member && own && own.sig !== sig) {
      const conns = new Map(member.conns)
      conns.set(config.selfConn, { ...own, ...action.desired, at: action.at, sig, seq: ++counter.seq })
      updates.set(member.key, build(member, member.key, conns, action.now, true, undefined, config))
    }
  } else {
    for (const member of model.members.values()) {
      if (member.deadline === undefined || member.deadline > action.now) continue
      updates.set(member.key, expire(member, action.now, config))
    }
  }
  if (updates.size === 0) return self === model.self && counter.seq === model.seq ? model : { ...model, self, seq: counter.seq }
  const members = new Map(model.members)
  for (const [key, record] of updates) {
    if (record) members.set(key, record)
    else members.delete(key)
  }
  return finish(model, members, self, counter.seq, config)
}

/** One key against the server's entries for it. Returns the same record when nothing changed. */
function reconcile<S extends object>(
  previous: MemberRecord<S> | undefined,
  key: string,
  entries: ReadonlyMap<string, ConnectionMeta<S>> | undefined,
  now: number,
  config: ReducerConfig,
  self: PresenceModel<S>['self'],
  counter: { seq: number },
  departing: ReadonlySet<string> | undefined,
): MemberRecord<S> | undefined {
  const conns = new Map<string, ConnectionRecord<S>>()
  let changed = false
  let touched = false
  let droppedAt: number | undefined
  for (const entry of entries?.values() ?? []) {
    const own = self !== undefined && key === config.selfKey && entry.conn === config.selfConn
    const content: ConnectionMeta<S> = own ? { ...entry, state: self.state, away: self.away, typing: self.typing, at: self.at } : entry
    const sig = signature(content)
    const old = previous?.conns.get(entry.conn)
    if (old && old.sig === sig) {
      if (old.ref === entry.ref && old.goneAt === undefined) conns.set(entry.conn, old)
      else {
        conns.set(entry.conn, { ...old, ref: entry.ref, goneAt: undefined })
        changed = true
      }
    } else {
      conns.set(entry.conn, { ...content, sig, seq: ++counter.seq })
      changed = true
      touched = true
    }
  }
  for (const [conn, old] of previous?.conns ?? []) {
    if (conns.has(conn)) continue
    if (departing?.has(conn)) {
      // It left on purpose: no reconnect to wait for. lastSeen is when it was first seen gone.
      droppedAt = Math.max(droppedAt ?? 0, old.goneAt ?? now)
      changed = true
    } else if (old.goneAt === undefined) {
      conns.set(conn, { ...old, goneAt: now })
      changed = true
    } else if (now >= old.goneAt + config.reconnectGraceMs) {
      droppedAt = Math.max(droppedAt ?? 0, old.goneAt)
      changed = true
    } else conns.set(conn, old)
  }
  if (!changed) return previous
  if (!previous && conns.size === 0) return undefined
  return build(previous, key, conns, now, touched, droppedAt, config)
}

/** Drops what expired at `now`: lingering connections past their grace, an offline member past retention. */
function expire<S extends object>(member: MemberRecord<S>, now: number, config: ReducerConfig): MemberRecord<S> | undefined {
  if (member.conns.size === 0) {
    return member.offlineAt !== undefined && now >= member.offlineAt + config.offlineRetentionMs ? undefined : member
  }
  const conns = new Map<string, ConnectionRecord<S>>()
  let droppedAt: number | undefined
  for (const [conn, record] of member.conns) {
    if (record.goneAt !== undefined && now >= record.goneAt + config.reconnectGraceMs) droppedAt = Math.max(droppedAt ?? 0, record.goneAt)
    else conns.set(conn, record)
  }
  return droppedAt === undefined ? member : build(member, member.key, conns, now, false, droppedAt, config)
}

function build<S extends object>(
  previous: MemberRecord<S> | undefined,
  key: string,
  conns: ReadonlyMap<string, ConnectionRecord<S>>,
  now: number,
  touched: boolean,
  droppedAt: number | undefined,
  config: ReducerConfig,
): MemberRecord<S> {
  let latest: ConnectionRecord<S> | undefined
  let active = false
  let typing = false
  let deadline: number | undefined
  for (const record of conns.values()) {
    if (!latest || record.seq > latest.seq || (record.seq === latest.seq && record.at > latest.at)) latest = record
    if (!record.away) active = true
    if (record.typing && record.goneAt === undefined) typing = true
    if (record.goneAt !== undefined) deadline = Math.min(deadline ?? Infinity, record.goneAt + config.reconnectGraceMs)
  }
  const offline = conns.size === 0
  const offlineAt = offline ? (previous?.offlineAt ?? now) : undefined
  if (offlineAt !== undefined) deadline = offlineAt + config.offlineRetentionMs
  const lastSeen = touched ? now : offline && droppedAt !== undefined ? droppedAt : (previous?.lastSeen ?? now)
  const status: PresenceStatus = offline ? 'offline' : active ? 'online' : 'away'
  const state = latest?.state ?? previous?.view.state ?? ({} as S)
  const old = previous?.view
  const view: PresenceMember<S> =
    old &&
    old.state === state &&
    old.status === status &&
    old.lastSeen === lastSeen &&
    old.connections === conns.size &&
    old.typing === typing
      ? old
      : Object.freeze({ key, state, status, lastSeen, connections: conns.size, typing, self: key === config.selfKey })
  return { key, conns, lastSeen, offlineAt, deadline, view }
}

function finish<S extends object>(
  model: PresenceModel<S>,
  members: ReadonlyMap<string, MemberRecord<S>>,
  self: PresenceModel<S>['self'],
  seq: number,
  config: ReducerConfig,
): PresenceModel<S> {
  const list: PresenceMember<S>[] = []
  const typing: string[] = []
  let nextDeadline: number | undefined
  for (const member of members.values()) {
    list.push(member.view)
    if (member.view.typing && member.key !== config.selfKey) typing.push(member.key)
    if (member.deadline !== undefined) nextDeadline = Math.min(nextDeadline ?? Infinity, member.deadline)
  }
  return {
    members,
    list: sameItems(list, model.list) ? model.list : Object.freeze(list),
    typing: sameItems(typing, model.typing) ? model.typing : Object.freeze(typing),
    self,
    seq,
    nextDeadline,
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}
