import type { RealtimeChannel } from '@supabase/supabase-js'
import { checkJsonSafe, createStore, SupasyncError, type PresenceEvent, type RoomHandle, type RoomStatus, type Supasync, type ReadableStore } from '@supasync/core'
import { CallBudget } from './CallBudget.js'
import { inspectPresence } from './inspectPresence.js'
import { LEAVE_EVENT, LeaveSignals, sendLeaveSignal } from './LeaveSignals.js'
import { encodeMeta, newConnectionId, signature, type DesiredMeta } from './meta.js'
import type { ResolvedPresenceOptions } from './options.js'
import { PresenceMirror } from './PresenceMirror.js'
import { initialModel, reducePresence, type PresenceAction, type PresenceModel, type ReducerConfig } from './presenceReducer.js'
import { TimerSlots } from './TimerSlots.js'
import type { PresenceMember, PresenceState } from './types.js'

type Slot = 'flush' | 'typing' | 'away' | 'deadline'

/** How soon a flush looks again when the channel is joined but realtime-js cannot push at the moment, in ms. */
const RETRY_PUSH_MS = 500

/** Counts for leak checks and rate-limit assertions. */
export interface PresenceDiagnostics {
  /** Presence calls (track + untrack) sent since creation. */
  calls: number
  /** Presence calls inside the current window (what the budget sees). */
  callsInWindow: number
  /** Timers pending (flush, typing expiry, away, member expiry). */
  timers: number
  /** Subscribers of `members` and `typing`, plus the engine's own listeners (channel, status, visibility). */
  listeners: number
  /** Rooms (createPresence calls) sharing this topic on this supasync instance. */
  holders: number
  /** Leave signals of other connections waiting for their entry to vanish (each for at most 5 s; 0 after leave). */
  leaveSignals: number
}

/**
 * The presence of one topic on one supasync instance, shared by every {@link PresenceRoom} of it: one pooled
 * channel, one tracked entry for this connection, one member list.
 *
 * Outgoing: the desired payload (state, away, typing) changes freely; `flush()` sends the latest one when the
 * {@link CallBudget} allows, serialised (one call in flight), never twice the same. Every (re)join starts a new
 * server-side channel with nothing tracked and a fresh call window, so the payload is tracked again at once.
 * Incoming: realtime-js's presence events keep a {@link PresenceMirror} of the server's state, reconciled into the
 * member list by {@link reducePresence} once per burst of events (a microtask). Leaving: the last holder's leave
 * broadcasts a {@link LeaveSignals | leave signal} before its untrack, so the others drop this connection at once
 * instead of keeping it through their reconnect grace; their signals reach this engine the same way.
 */

/** Call budgets per realtime channel object (a re-created channel is a new object: a fresh server window). */
const channelBudgets = new WeakMap<object, CallBudget>()

export class PresenceEngine<S extends object = PresenceState> {
  readonly conn = newConnectionId()
  readonly handle: RoomHandle
  readonly holders = new Set<object>()
  private readonly timers: TimerSlots<Slot>
  /** Used only while the room has no realtime channel (being re-created): nothing can be sent then anyway. */
  private readonly detachedBudget: CallBudget
  private readonly config: ReducerConfig
  private readonly membersStore = createStore<readonly PresenceMember<S>[]>([])
  /** The offset from the timer port's clock to the wall clock that lastSeen is published with, in ms. */
  private offset = 0
  /** Members as published with a wall-clock lastSeen, per model member (see onWallClock). */
  private readonly shifted = new WeakMap<PresenceMember<S>, { offset: number; member: PresenceMember<S> }>()
  private readonly typingStore = createStore<readonly string[]>([])
  private model: PresenceModel<S> = initialModel<S>()
  private desired: DesiredMeta<S>
  private typingUntil = 0
  /** Signature of what the server holds for this connection in the current join; undefined when nothing. */
  private sentSig: string | undefined
  /** Signature of a payload the server refused; not retried until the payload changes or the channel rejoins. */
  private refusedSig: string | undefined
  /**
   * The server shut the channel down over this payload (over its size limit): a rejoin does not make it smaller, so
   * it stays refused across rejoins until the state changes.
   */
  private oversizeSig: string | undefined
  private inflight = false
  /** Signature of the track in flight. */
  private inflightSig: string | undefined
  private joinEpoch = 0
  /** Leave signals of other connections, waiting for their entry to vanish. */
  private readonly leaves = new LeaveSignals()
  /** The server's presence state as this channel knows it. */
  private readonly mirror = new PresenceMirror<S>((conn, ref) => this.leaves.superseded(conn, ref))
  private reconcileQueued = false
  private flushQueued = false
  private offs: (() => void)[] = []
  private disposed = false
  private calls = 0
  /**
   * Set when a room of the same key replaces this engine at once (new options within the grace period): its entry
   * follows, so this one leaves without a leave signal and the others keep it through the reconnect grace, no flash.
   */
  quietLeave = false
  private readonly sync: Supasync

  constructor(
    sync: Supasync,
    readonly topic: string,
    readonly options: ResolvedPresenceOptions,
    readonly optionsKey: string,
    initialState: S,
    private readonly onDisposed: () => void,
  ) {
    this.timers = new TimerSlots(options.timers)
    this.detachedBudget = new CallBudget(options.maxCallsPerWindow, options.callWindowMs, options.minCallIntervalMs)
    this.config = {
      selfKey: options.key,
      selfConn: this.conn,
      reconnectGraceMs: options.reconnectGraceMs,
      offlineRetentionMs: options.offlineRetentionMs,
    }
    this.desired = { state: initialState, away: false, typing: false }
    this.sync = sync
    this.handle = sync.channel(topic, { ...options.channel, presence: { key: options.key } })
    this.dispatch({ type: 'self', now: this.timers.now(), desired: this.desired, at: this.timers.now() })
    this.offs.push(this.handle.onPresence((event) => this.onPresence(event)))
    this.offs.push(this.handle.on(LEAVE_EVENT, (payload) => this.onLeaveSignal(payload)))
    this.offs.push(this.options.visibility.subscribe((visible) => this.onVisibility(visible)))
    if (!this.options.visibility.isVisible()) this.onVisibility(false)
    const channel = this.handle.realtimeChannel()
    if (channel && this.handle.status.get() === 'joined') {
      this.mirror.readAll(channel)
      this.queueReconcile()
    }
    this.offs.push(this.handle.status.subscribe((status) => this.onStatus(status)))
    this.offs.push(inspectPresence(sync, this))
    if (this.handle.status.get() === 'joined') this.scheduleFlush()
  }

  /**
   * The server counts calls per channel process, not per presence room: a room left and re-acquired within the
   * pool's grace period reuses the joined channel, so its calls must go on the same budget.
   */
  private get budget(): CallBudget {
    const channel = this.handle.realtimeChannel()
    if (!channel) return this.detachedBudget
    let budget = channelBudgets.get(channel)
    if (!budget) {
      budget = new CallBudget(this.options.maxCallsPerWindow, this.options.callWindowMs, this.options.minCallIntervalMs)
      channelBudgets.set(channel, budget)
    }
    return budget
  }

  get members(): ReadableStore<readonly PresenceMember<S>[]> {
    return this.membersStore
  }

  get typing(): ReadableStore<readonly string[]> {
    return this.typingStore
  }

  get status(): ReadableStore<RoomStatus> {
    return this.handle.status
  }

  get isDisposed(): boolean {
    return this.disposed
  }

  /** This connection's latest desired state (what `update()` set), before rate limiting. */
  get state(): S {
    return this.desired.state
  }

  update(patch: Partial<S> | ((previous: S) => S)): void {
    if (this.disposed) return
    const next = typeof patch === 'function' ? patch(this.desired.state) : ({ ...this.desired.state, ...patch } as S)
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new SupasyncError('INVALID_OPTIONS', 'update(): the state must be a plain object (it is sent as the presence payload).')
    }
    // Refused before it becomes the desired state: JSON.stringify (the signature, the track) would otherwise throw a
    // bare TypeError later, or other members would see `null` / `{}` where this client set a value.
    const problem = checkJsonSafe(next, 'state')
    if (problem) throw new SupasyncError('UNSERIALIZABLE', `update() on presence "${this.topic}": ${problem.message} The state was not changed.`)
    this.setDesired({ state: next })
  }

  setTyping(on: boolean): void {
    if (this.disposed) return
    if (!on) {
      this.typingUntil = 0
      this.timers.clear('typing')
      if (this.desired.typing) this.setDesired({ typing: false })
      return
    }
    // Repeated calls only move the deadline: no new timer, no new payload, no presence call.
    this.typingUntil = this.timers.now() + this.options.typingTimeoutMs
    if (!this.desired.typing) this.setDesired({ typing: true })
    if (!this.timers.has('typing')) this.timers.set('typing', this.options.typingTimeoutMs, () => this.typingExpired())
  }

  diagnostics(): PresenceDiagnostics {
    return {
      calls: this.calls,
      callsInWindow: this.budget.used(this.timers.now()),
      timers: this.timers.size,
      listeners: this.membersStore.listenerCount + this.typingStore.listenerCount + this.offs.length,
      holders: this.holders.size,
      leaveSignals: this.leaves.size,
    }
  }

  /**
   * The last holder left: tell the others it is a leave, not a reconnect (unless {@link quietLeave}), untrack (with the
   * budget's spare call), release the room, clear every timer and listener.
   */
  dispose(untrack = true): void {
    if (this.disposed) return
    this.disposed = true
    this.timers.clearAll()
    for (const off of this.offs) off()
    this.offs = []
    this.leaves.clear()
    const channel = this.handle.realtimeChannel()
    if (untrack && channel && this.canPush(channel) && (this.sentSig !== undefined || this.inflight)) {
      // Before the untrack, on the same socket. The ref names the entry the server holds; with a track in flight the
      // entry is about to change, so none is named (the connection id alone decides).
      const ref = this.inflight ? '' : (this.mirror.find(this.options.key, this.conn)?.ref ?? '')
      if (!this.quietLeave) sendLeaveSignal(channel, { key: this.options.key, conn: this.conn, ref })
      this.budget.record(this.timers.now())
      this.calls++
      channel.untrack().catch(() => undefined)
    }
    this.handle.release()
    this.onDisposed()
  }

  // ---- outgoing --------------------------------------------------------------------------------------------

  private setDesired(patch: Partial<DesiredMeta<S>>): void {
    this.desired = { ...this.desired, ...patch }
    const now = this.timers.now()
    this.dispatch({ type: 'self', now, desired: this.desired, at: now })
    this.scheduleFlush()
  }

  private typingExpired(): void {
    const remaining = this.typingUntil - this.timers.now()
    if (remaining > 0) this.timers.set('typing', remaining, () => this.typingExpired())
    else this.setDesired({ typing: false })
  }

  private onVisibility(visible: boolean): void {
    if (this.disposed) return
    if (visible) {
      this.timers.clear('away')
      if (this.desired.away) this.setDesired({ away: false })
    } else if (!this.desired.away && !this.timers.has('away')) {
      this.timers.set('away', this.options.awayAfterMs, () => this.setDesired({ away: true }))
    }
  }

  /** Coalesces synchronous changes (update + setTyping in one handler) into one flush. */
  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(() => {
      this.flushQueued = false
      this.flush()
    })
  }

  private canPush(channel: RealtimeChannel): boolean {
    // Only push straight onto an open socket of a joined channel: realtime-js would otherwise buffer the push
    // and send it after the next join, where it would count against a call window the budget knows nothing of.
    return channel.state === 'joined' && channel.socket.isConnected()
  }

  private flush(): void {
    if (this.disposed || this.inflight) return
    const channel = this.handle.realtimeChannel()
    if (!channel || this.handle.status.get() !== 'joined') return // the next 'joined' flushes
    if (!this.canPush(channel)) {
      // Joined as far as the pool knows, but realtime-js cannot push right now (its socket just dropped and the
      // error is on its way): look again shortly rather than rely on a status change that may not come.
      if (!this.timers.has('flush')) this.timers.set('flush', RETRY_PUSH_MS, () => this.flush())
      return
    }
    const sig = signature(this.desired)
    if (sig === this.sentSig || sig === this.refusedSig || sig === this.oversizeSig) {
      this.timers.clear('flush')
      return
    }
    const now = this.timers.now()
    const at = this.budget.nextAllowedAt(now)
    if (at > now) {
      if (this.timers.dueAt('flush') !== at) {
        // Waiting for the server's presence budget (5 calls per 30 s): worth a monitoring event.
        if (this.sync.eventsActive) this.sync.emitEvent({ type: 'presence-wait', topic: this.topic, ms: at - now })
        this.timers.set('flush', at - now, () => this.flush())
      }
      return
    }
    this.timers.clear('flush')
    this.send(channel, sig, now)
  }

  private send(channel: RealtimeChannel, sig: string, now: number): void {
    const epoch = this.joinEpoch
    this.budget.record(now)
    this.calls++
    this.inflight = true
    this.inflightSig = sig
    channel.track(encodeMeta(this.conn, this.desired, now)).then(
      (result) => this.tracked(epoch, sig, result),
      () => this.tracked(epoch, sig, 'error'),
    )
  }

  private tracked(epoch: number, sig: string, result: string): void {
    if (this.disposed || epoch !== this.joinEpoch) return
    this.inflight = false
    this.inflightSig = undefined
    if (result === 'ok') this.sentSig = sig
    else if (result === 'error') {
      this.refusedSig = sig
      this.options.onError(
        new SupasyncError(
          'PRESENCE_REJECTED',
          `Presence on "${this.topic}": the server refused the track (a private channel needs a presence write policy; the payload must be a JSON object within the size limit).`,
        ),
      )
    } else {
      // Timed out: it may or may not have arrived. Send it again (within the budget) so the latest state is sure to.
      this.sentSig = undefined
    }
    this.flush()
  }

  // ---- incoming --------------------------------------------------------------------------------------------

  private onStatus(status: RoomStatus): void {
    if (this.disposed) return
    if (status === 'joined') {
      // A new server-side channel: nothing tracked, a fresh call window, a presence_state on its way.
      this.joinEpoch++
      this.inflight = false
      this.inflightSig = undefined
      this.sentSig = undefined
      this.refusedSig = undefined
      this.budget.reset()
      this.timers.clear('flush')
      this.mirror.rejoined()
      this.scheduleFlush()
    } else if (status === 'closed') {
      // The supasync instance was destroyed: the channel is gone, and so is this connection's entry.
      this.dispose(false)
    }
  }

  /**
   * The server shut the channel down over presence. The room re-creates the channel; what happens to the payload
   * depends on the reason: one over the size limit is never sent again (until the state changes), or the room
   * would rejoin and be shut down again in a loop; a rate-limit shutdown is retried on the fresh window.
   */
  private onRefused(reason: string): void {
    const sig = this.inflightSig ?? this.sentSig
    const oversize = /size exceeded|too large/i.test(reason)
    if (oversize) this.oversizeSig = sig
    this.options.onError(
      new SupasyncError(
        'PRESENCE_REJECTED',
        oversize
          ? `Presence on "${this.topic}": the server closed the channel because the tracked state is too large (${reason}). ` +
              'It is not sent again until update() changes it; keep the state small (ids, short strings: the limit is the ' +
              "project's max payload size, 256 KB on the Free plan) and fetch the rest."
          : `Presence on "${this.topic}": the server closed the channel (${reason}). The room rejoins and tracks the latest state again.`,
        { reason },
      ),
    )
  }

  private onPresence(event: PresenceEvent): void {
    if (this.disposed) return
    if (event.event === 'refused') {
      this.onRefused(event.reason ?? 'no reason given')
      return
    }
    const channel = this.handle.realtimeChannel()
    if (!channel) return
    if (!this.mirror.follows(channel)) {
      // After a (re)join the first sync follows presence_state: read it whole, ignore the events before it.
      if (event.event === 'sync') {
        this.mirror.readAll(channel)
        this.queueReconcile()
      }
      return
    }
    // realtime-js sends a sync after every diff: one reconcile per burst of joins and leaves.
    if (event.event === 'sync') this.queueReconcile()
    else if (event.key === undefined) return
    else if (event.event === 'join') this.mirror.joined(event.key, event.newPresences ?? [])
    else this.mirror.left(event.key, event.leftPresences ?? [])
  }

  /**
   * Another connection announced its leave (see {@link LeaveSignals}). Only one this client lists under that key
   * counts, and only its vanishing is affected: the signal cannot hide an entry the server still holds.
   */
  private onLeaveSignal(payload: unknown): void {
    if (this.disposed) return
    const key = this.leaves.receive(payload, this.conn, this.timers.now(), (signalKey, conn) =>
      this.mirror.find(signalKey, conn) ?? this.model.members.get(signalKey)?.conns.get(conn),
    )
    if (key === undefined) return
    this.mirror.touch(key)
    this.queueReconcile()
  }

  private queueReconcile(): void {
    if (this.reconcileQueued) return
    this.reconcileQueued = true
    queueMicrotask(() => {
      this.reconcileQueued = false
      if (this.disposed) return
      const dirty = this.mirror.takeDirty()
      if (dirty === undefined) return
      const now = this.timers.now()
      const keys = dirty === 'all' ? undefined : dirty
      this.dispatch({ type: 'server', now, presences: this.mirror.presences, keys, departing: this.leaves.departing(now) })
      // A signal whose connection was dropped has done its work.
      if (this.leaves.size > 0) this.leaves.retain((key, conn) => this.model.members.get(key)?.conns.has(conn) === true)
    })
  }

  // ---- the model -------------------------------------------------------------------------------------------

  private dispatch(action: PresenceAction<S>): void {
    const next = reducePresence(this.model, action, this.config)
    if (next === this.model) return
    this.model = next
    this.membersStore.set(this.onWallClock(next.list))
    this.typingStore.set(next.typing)
    this.scheduleDeadline()
  }

  /**
   * The members with `lastSeen` on the wall clock. The model keeps the timer port's clock (never backward, so a
   * clock set back cannot stretch the grace and retention periods); it matches the wall clock until the wall clock
   * is set, and then differs by that jump, which is added back here. Below a second the two are taken as equal, so
   * unchanged members keep their identity (no re-render) on every update.
   */
  private onWallClock(list: readonly PresenceMember<S>[]): readonly PresenceMember<S>[] {
    const measured = Math.round(this.timers.wallNow() - this.timers.now())
    // Hysteresis: the published offset moves only when the clocks moved apart by a second or more since.
    if (Math.abs(measured - this.offset) >= 1000) this.offset = measured
    const offset = this.offset
    if (offset === 0) return list
    return list.map((member) => {
      const cached = this.shifted.get(member)
      if (cached?.offset === offset) return cached.member
      const shifted = { ...member, lastSeen: member.lastSeen + offset }
      this.shifted.set(member, { offset, member: shifted })
      return shifted
    })
  }

  private scheduleDeadline(): void {
    const deadline = this.model.nextDeadline
    if (this.disposed) return
    if (deadline === undefined) {
      this.timers.clear('deadline')
      return
    }
    if (this.timers.dueAt('deadline') === deadline) return
    this.timers.set('deadline', deadline - this.timers.now(), () => {
      this.dispatch({ type: 'tick', now: this.timers.now() })
      // A timer may fire a millisecond early on the port's clock: whatever is still due gets a new timer.
      this.scheduleDeadline()
    })
  }
}
