import type { RealtimeChannel } from '@supabase/supabase-js'
import { CircuitBreaker } from './backoff.js'
import { ChannelRecord } from './ChannelRecord.js'
import type { NormalizedSpec } from './changeSpec.js'
import type { PoolContext } from './context.js'
import { SupasyncError } from './errors.js'
import { classifyChannelError, classifyReason, refusalFix, STABLE_CHANNEL_MS, tokenRefusal } from './refusals.js'

/** A distinct server binding and who listens to it; owned by ChangesPool. */
export interface HostedBinding {
  readonly spec: NormalizedSpec
  /**
   * Hands a realtime-js payload from generation `from` to every lease of this binding (the pool dedupes during
   * swaps). Bound to the generation as realtime-js's callback: a bound function is ~30 bytes smaller than a closure
   * with its scope, once per distinct spec.
   */
  deliver(from: Generation, payload: ChangePayload): void
  /** A channel carrying this binding got SUBSCRIBED (changes may not flow yet). */
  subscribed(): void
  /** The host's live generation now includes this binding (or no longer does). */
  setLive(live: boolean): void
  /** The server refused this binding's subscription. Returns whether no lease had an onError of its own to hear it. */
  fail(error: SupasyncError): boolean
  /** Has been live at least once (the server accepted it): never a suspect when a later subscription is refused. */
  readonly everLive: boolean
  /** `sync.changes()` leases holding it now (0 during its grace period). */
  readonly leaseCount: number
}

/** The realtime-js postgres_changes payload. */
export interface ChangePayload {
  schema: string
  table: string
  commit_timestamp: string
  eventType: 'INSERT' | 'UPDATE' | 'DELETE'
  new: Record<string, unknown>
  old: Record<string, unknown>
  errors: unknown
}

/** Same members, regardless of order. */
function sameBindings(a: ReadonlySet<HostedBinding>, b: ReadonlySet<HostedBinding>): boolean {
  if (a.size !== b.size) return false
  for (const binding of a) if (!b.has(binding)) return false
  return true
}

/** How the server prints each clause of a filter in its errors: `{"column", "op", "value", negated}` (approximately, for `in`). */
function clauseTexts(filter: string | undefined): string[] {
  if (!filter) return []
  return filter.split(/,(?![^(]*\))/).map((clause) => {
    const equals = clause.indexOf('=')
    let rest = clause.slice(equals + 1)
    const negated = rest.startsWith('not.')
    if (negated) rest = rest.slice(4)
    const dot = rest.indexOf('.')
    const op = rest.slice(0, dot)
    const value = rest.slice(dot + 1)
    return op === 'in' ? `{${JSON.stringify(clause.slice(0, equals))}, "in", ` : `{${JSON.stringify(clause.slice(0, equals))}, ${JSON.stringify(op)}, ${JSON.stringify(value.replace(/^"(.*)"$/, '$1'))}, ${negated}}`
  })
}

/** One realtime channel carrying a fixed set of bindings. A host replaces generations, never edits one. */
export interface Generation {
  readonly number: number
  readonly topic: string
  readonly channel: RealtimeChannel
  readonly bindings: ReadonlySet<HostedBinding>
  subscribed: boolean
  /** realtime-js reported CHANNEL_ERROR / TIMED_OUT since the last success. */
  failed: boolean
  /** Left by us: its CLOSED (fired synchronously inside removeChannel) is not a server close. */
  dropped: boolean
  /** "Subscribed to PostgreSQL" arrived (or its wait timed out): changes flow for every binding. */
  live: boolean
  openedAt: number
  /** When it last got SUBSCRIBED. */
  joinedAt?: number
  /** The server's last system error on it: why it is about to close it. */
  serverMessage?: string
  /** The access token it joined with. */
  token: string | null
  cancelReadyTimeout?: () => void
}

/**
 * A slot of the changes pool: the bindings it should carry (`desired`) and the realtime channel carrying them.
 * Any change of the binding set is applied by make-before-break: a new generation under a fresh topic is
 * joined and confirmed live before the old one is left, so no change is lost in between.
 */
export class ChangeHost {
  readonly desired = new Set<HostedBinding>()
  current: Generation | undefined
  next: Generation | undefined
  /** Bindings still carried by `current` although nobody wants them any more. */
  stale = 0
  private generationCounter = 0
  private rebuildQueued = false
  /** Bindings changed while the first generation was still joining: rebuild once it is live. */
  private rebuildWhenLive = false
  /** The next rebuild re-creates a channel the server closed: fetch a fresh token first. */
  private refreshAuthFirst = false
  private waitingForSlot = false
  private cancelRetry: (() => void) | undefined
  /** Waiting for a token other than the one the server refused. */
  private cancelTokenWait: (() => void) | undefined
  private readonly breaker: CircuitBreaker
  closed = false
  /** What `sync.inspect()` shows of it beyond its generations: joins, last event, last error. */
  readonly record: ChannelRecord

  constructor(
    private readonly context: PoolContext,
    readonly id: string,
    private readonly events: { swapped(host: ChangeHost): void; emptied(host: ChangeHost): void; slotFreed(): void },
  ) {
    this.breaker = new CircuitBreaker(context.options.breakerThreshold, context.options.breakerOpenMs)
    this.record = new ChannelRecord(context.inspect)
  }

  /** Channels this host holds now (2 during a swap). */
  get channelCount(): number {
    return (this.current ? 1 : 0) + (this.next ? 1 : 0)
  }

  /** Channels to budget for: a host waiting to re-create its channel keeps its slot reserved. */
  get reservedChannels(): number {
    return this.closed || this.desired.size === 0 ? this.channelCount : Math.max(1, this.channelCount)
  }

  get isLive(): boolean {
    return this.current?.live === true && this.next === undefined
  }

  /** Coalesces every binding change of this tick into one rebuild (one join). */
  requestRebuild(): void {
    if (this.rebuildQueued || this.closed) return
    this.rebuildQueued = true
    queueMicrotask(() => {
      this.rebuildQueued = false
      void this.rebuild()
    })
  }

  /** Called by the pool when a channel slot frees up, for a host that had to wait for one. */
  retryIfWaiting(): void {
    if (!this.waitingForSlot) return
    this.waitingForSlot = false
    this.requestRebuild()
  }

  private async rebuild(): Promise<void> {
    const refresh = this.refreshAuthFirst
    this.refreshAuthFirst = false
    await (refresh ? this.context.refreshAuth() : this.context.authReady())
    if (this.closed) return
    // Refused for the token: joining again with the same one is refused again. The token change rebuilds.
    if (this.cancelTokenWait && this.desired.size > 0) return
    if (this.desired.size === 0) {
      this.events.emptied(this)
      return
    }
    const pending = this.next ?? (this.current && !this.current.live ? this.current : undefined)
    if (pending && !pending.failed) {
      // A generation is still joining (the first one, or a swap): restarting it for every newcomer would starve
      // it under a steady stream of new bindings. Let it go live, then swap again with everything accumulated.
      if (!sameBindings(pending.bindings, this.desired)) this.rebuildWhenLive = true
      return
    }
    if (this.next) {
      this.drop(this.next)
      this.next = undefined
    }
    const current = this.current
    // Nothing changed since the live generation was made (a second rebuild queued during the auth wait).
    if (current?.live && sameBindings(current.bindings, this.desired)) return
    const keepCurrent = current?.live === true
    if (keepCurrent && this.context.channelCount() >= this.context.options.maxChannels) {
      // Make-before-break needs one spare channel; wait for one instead of breaking the server limit.
      this.waitingForSlot = true
      return
    }
    const generation = this.open([...this.desired])
    if (keepCurrent) {
      this.next = generation
    } else {
      if (this.current) this.drop(this.current)
      this.current = generation
    }
    this.record.touch()
    this.context.changed()
  }

  private open(bindings: HostedBinding[]): Generation {
    const number = ++this.generationCounter
    const topic = `supasync:${this.id}:${number}`
    const channel = this.context.realtime.channel(topic, { config: { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false }, private: false } })
    const generation: Generation = {
      number,
      topic,
      channel,
      bindings: new Set(bindings),
      subscribed: false,
      failed: false,
      dropped: false,
      live: false,
      openedAt: this.context.scheduler.now(),
      token: this.context.currentToken(),
    }
    // The frozen spec is realtime-js's filter as is (`{ event, schema, table, filter? }`): one object per distinct
    // spec for the life of the binding, not one more per generation.
    for (const binding of bindings) channel.on('postgres_changes' as never, binding.spec as never, binding.deliver.bind(binding, generation) as never)
    channel.on('system' as never, {} as never, (message: { extension?: string; status?: string; message?: string }) => {
      // A system error (not of postgres_changes) comes right before the server closes the channel: keep its text.
      if (message.extension === 'system' && message.status === 'error') generation.serverMessage = String(message.message ?? '')
      if (this.isActive(generation)) this.record.event('system', message.extension ?? 'system', this.context.scheduler.now())
      if (message.extension !== 'postgres_changes') return
      if (message.status === 'ok') this.markLive(generation)
      else this.refused(generation, String(message.message ?? 'the server refused the subscription'))
    })
    this.context.willSubscribe()
    channel.subscribe((status, error) => this.onStatus(generation, status, error))
    return generation
  }

  private isActive(generation: Generation): boolean {
    return !generation.dropped && (generation === this.current || generation === this.next)
  }

  private onStatus(generation: Generation, status: string, error?: unknown): void {
    if (!this.isActive(generation) || this.closed) return
    const { metrics, scheduler, options } = this.context
    if (status === 'SUBSCRIBED') {
      generation.subscribed = true
      generation.failed = false
      generation.joinedAt = scheduler.now()
      metrics.counters.joins++
      this.record.joined(generation.joinedAt)
      if (this.context.events.active) {
        this.context.events.emit({ type: 'join', topic: generation.topic, kind: 'changes', private: false, ms: scheduler.now() - generation.openedAt })
      }
      for (const binding of generation.bindings) binding.subscribed()
      // Realtime confirms the postgres subscription separately; don't wait for it forever. A first generation is
      // then treated as live (nothing to lose); a swap is retried instead, because promoting it unconfirmed and
      // leaving the old channel could lose changes.
      generation.cancelReadyTimeout?.()
      generation.cancelReadyTimeout = scheduler.after(options.postgresReadyTimeoutMs, () => {
        generation.cancelReadyTimeout = undefined
        if (generation === this.next) this.restart(generation, this.breaker.fail(this.context.random), '"Subscribed to PostgreSQL" never came')
        else this.markLive(generation)
      })
    } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
      metrics.counters.channelErrors++
      generation.cancelReadyTimeout?.()
      generation.cancelReadyTimeout = undefined
      generation.subscribed = false
      generation.failed = true
      this.setGenerationLive(generation, false)
      const failure = classifyChannelError(status, error, this.context.socketProven())
      if (failure.kind !== 'socket' && this.context.events.active) {
        this.context.events.emit({ type: 'channel-close', topic: generation.topic, kind: 'changes', by: 'refused', reason: failure.reason })
      }
      if (failure.kind === 'socket') {
        // A dead or unproven socket is no refusal: it never counts toward the breaker, and realtime-js rejoins on
        // reconnect by itself.
        if (this.rebuildWhenLive && generation === this.current) {
          this.rebuildWhenLive = false
          this.requestRebuild()
        }
      } else if (failure.kind === 'token' || failure.kind === 'permanent') {
        this.stop(generation, failure.kind, failure.reason ?? String(error))
      } else {
        // The server refused the join with the socket up: retry after a jittered backoff instead of realtime-js's
        // fixed schedule, so clients refused together do not retry in lockstep.
        const wait = this.countFailure(generation)
        this.restart(generation, wait, `${this.breaker.isOpen ? 'its joins keep failing' : 'the join failed'}: ${failure.reason}`, failure.reason)
      }
    } else if (status === 'CLOSED') {
      // The server closed it (token expiry, rate limit): realtime-js will not rejoin, so make a new generation.
      generation.cancelReadyTimeout?.()
      metrics.counters.recreated++
      generation.subscribed = false
      this.setGenerationLive(generation, false)
      const reason = generation.serverMessage
      if (this.context.events.active) this.context.events.emit({ type: 'channel-close', topic: generation.topic, kind: 'changes', by: 'server', reason })
      if (reason !== undefined && classifyReason(reason) === 'permanent') this.stop(generation, 'permanent', reason)
      else this.restart(generation, this.countFailure(generation), reason ? `the server closed it: ${reason}` : 'the server closed it', reason)
    }
    this.record.touch()
    this.context.changed()
  }

  private markLive(generation: Generation): void {
    generation.cancelReadyTimeout?.()
    generation.cancelReadyTimeout = undefined
    if (!this.isActive(generation) || generation.live || this.closed) return
    if (!generation.subscribed || generation.failed) return
    // A rejoin after a socket error re-sends "Subscribed to PostgreSQL" too: that also makes it live again.
    this.context.metrics.join.record(this.context.scheduler.now() - generation.openedAt)
    this.breaker.succeed()
    if (generation === this.next) {
      const old = this.current
      this.current = generation
      this.next = undefined
      this.context.metrics.counters.swaps++
      this.stale = 0
      this.setGenerationLive(generation, true)
      if (old) {
        for (const binding of old.bindings) if (!generation.bindings.has(binding)) binding.setLive(false)
        this.drop(old)
      }
      this.events.swapped(this)
    } else {
      this.setGenerationLive(generation, true)
    }
    if (this.rebuildWhenLive && generation === this.current && !this.next) {
      this.rebuildWhenLive = false
      this.requestRebuild()
    }
    this.record.touch()
    this.context.changed()
  }

  private setGenerationLive(generation: Generation, live: boolean): void {
    generation.live = live
    if (generation !== this.current) return
    for (const binding of generation.bindings) binding.setLive(live)
  }

  /** The server refused the subscription of a generation: every binding on it is refused (all or nothing). */
  private refused(generation: Generation, message: string): void {
    if (!this.isActive(generation)) return
    // Bindings that were live before are innocent: the server accepted them already.
    const suspects = [...generation.bindings].filter((binding) => !binding.everLive)
    // Name the culprit when the server's text pins it down (its table and every filter clause as the server
    // prints them); only if none matches is every newcomer suspect.
    const named = suspects.filter((binding) => message.includes(`table: ${binding.spec.table},`) && clauseTexts(binding.spec.filter).every((text) => message.includes(text)))
    const failed = named.length > 0 ? named : suspects
    const error = new SupasyncError('SUBSCRIPTION_FAILED', `Realtime refused the postgres_changes subscription: ${message}${refusalFix(message, failed.map((binding) => binding.spec))}`)
    // Once: to the leases' own onError, and to the instance's only for leases without one.
    let unhandled = failed.length === 0
    for (const binding of failed) {
      this.desired.delete(binding)
      if (binding.fail(error)) unhandled = true
    }
    this.record.failed(error)
    if (unhandled) this.context.reportError(error)
    if (generation === this.next) {
      this.drop(generation)
      this.next = undefined
    } else {
      this.drop(generation)
      this.current = undefined
    }
    this.requestRebuild()
  }

  /** See Room.countFailure: a generation closed right after each join keeps counting; a long-lived one resets. */
  private countFailure(generation: Generation): number {
    if (generation.joinedAt !== undefined && this.context.scheduler.now() - generation.joinedAt >= STABLE_CHANNEL_MS) this.breaker.succeed()
    return this.breaker.fail(this.context.random)
  }

  private takeDown(generation: Generation): void {
    const wasCurrent = generation === this.current
    if (generation === this.next) this.next = undefined
    if (wasCurrent) this.current = undefined
    this.drop(generation)
    // A failed replacement leaves the live generation (and its leases) as they are.
    if (wasCurrent) for (const binding of generation.bindings) binding.setLive(false)
  }

  /**
   * A refusal retrying cannot fix. For the token: wait for a different one, then rebuild. Permanent: every binding
   * that was to be carried by the generation fails with the server's reason (leases 'error'), nothing is retried.
   */
  private stop(generation: Generation, kind: 'token' | 'permanent', reason: string): void {
    // The refusal's error and the close that follows it are one refusal.
    if (!this.isActive(generation)) return
    const wasSwap = generation === this.next
    this.takeDown(generation)
    this.cancelRetry?.()
    this.cancelRetry = undefined
    if (kind === 'token') {
      const refusal = tokenRefusal('a changes channel', reason)
      this.record.failed(refusal)
      this.context.reportError(refusal)
      this.cancelTokenWait?.()
      this.cancelTokenWait = this.context.onTokenChange(generation.token, () => {
        this.cancelTokenWait = undefined
        this.requestRebuild()
      })
      return
    }
    const error = new SupasyncError(
      'JOIN_REFUSED',
      `Realtime refused a changes channel: ${reason}. This does not change by itself, so supasync stopped retrying; fix the cause, then subscribe again.`,
      { reason },
    )
    // A refused replacement (make-before-break) fails only its newcomers: bindings already live were accepted by
    // the server and stay on the current generation, which carries on.
    let unhandled = true
    for (const binding of generation.bindings) {
      if (wasSwap && binding.everLive) continue
      if (!this.desired.delete(binding)) continue
      if (!binding.fail(error)) unhandled = false
    }
    this.record.failed(error)
    if (unhandled) this.context.reportError(error)
    this.requestRebuild()
  }

  private restart(generation: Generation, delayMs: number, why: string, reason?: string): void {
    this.takeDown(generation)
    const error = new SupasyncError('SUBSCRIPTION_FAILED', `A changes channel is re-created in ${Math.round(delayMs)} ms because ${why}.`, { reason })
    this.record.failed(error)
    this.context.reportError(error)
    this.cancelRetry?.()
    this.cancelRetry = this.context.scheduler.after(delayMs, () => {
      this.cancelRetry = undefined
      this.refreshAuthFirst = true
      this.requestRebuild()
    })
  }

  private drop(generation: Generation): void {
    if (generation.dropped) return
    generation.dropped = true
    generation.cancelReadyTimeout?.()
    generation.live = false
    this.context.metrics.counters.leaves++
    void this.context.realtime.removeChannel(generation.channel).catch(() => undefined)
    this.events.slotFreed()
  }

  /** Leaves every channel now. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.cancelRetry?.()
    this.cancelTokenWait?.()
    this.cancelTokenWait = undefined
    for (const generation of [this.next, this.current]) if (generation) this.drop(generation)
    this.current = undefined
    this.next = undefined
    this.record.touch()
    this.context.changed()
  }
}
