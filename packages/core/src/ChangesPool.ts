import { ChangeHost, type ChangePayload, type Generation, type HostedBinding } from './ChangeHost.js'
import { normalizeSpec, specKey, type ChangeSpec, type NormalizedSpec } from './changeSpec.js'
import type { PoolContext } from './context.js'
import { SupasyncError } from './errors.js'
import { createStore, type ReadableStore } from './store.js'

/** Where a lease is: waiting for its binding to go live, live, refused by the server, or released. */
export type LeaseStatus = 'pending' | 'live' | 'error' | 'released'

/** A holder's subscription to a binding, from `sync.changes()`. */
export interface ChangesLease {
  readonly spec: NormalizedSpec
  readonly status: ReadableStore<LeaseStatus>
  /** Set when status is 'error': why the server refused the subscription. */
  readonly error: SupasyncError | undefined
  /** Stops this callback. The binding leaves the server after the grace period if no lease remains. Idempotent. */
  release(): void
}

export interface ChangesOptions {
  /** Called once if the server refuses the subscription (bad column, table not published). Default: the instance's onError. */
  onError?: (error: SupasyncError) => void
  /**
   * Called on every SUBSCRIBED of a channel carrying this binding (the first join, each rejoin, each
   * make-before-break replacement), before the server's "Subscribed to PostgreSQL" turns the lease 'live'.
   * Changes committed while the channel was down are not replayed: this is the moment to catch up by reading.
   */
  onSubscribed?: () => void
}

/** How long after a swap duplicates from the old generation are still filtered out, in ms. */
const DEDUPE_TAIL_MS = 2000

class Lease implements ChangesLease {
  readonly status = createStore<LeaseStatus>('pending')
  error: SupasyncError | undefined

  constructor(
    readonly binding: Binding,
    readonly listener: (change: ChangePayload) => void,
    readonly onError: ((error: SupasyncError) => void) | undefined,
    readonly onSubscribed: (() => void) | undefined,
  ) {}

  get spec(): NormalizedSpec {
    return this.binding.spec
  }

  release(): void {
    if (this.status.get() === 'released') return
    this.status.set('released')
    this.binding.removeLease(this)
  }
}

class Binding implements HostedBinding {
  readonly leases = new Set<Lease>()
  host: ChangeHost | undefined
  live = false
  everLive = false
  cancelGrace: (() => void) | undefined

  constructor(
    private readonly pool: ChangesPool,
    readonly key: string,
    readonly spec: NormalizedSpec,
  ) {}

  deliver(payload: ChangePayload, from: Generation): void {
    this.pool.deliver(this, payload, from)
  }

  subscribed(): void {
    for (const lease of [...this.leases]) lease.onSubscribed?.()
  }

  setLive(live: boolean): void {
    this.live = live
    if (live) this.everLive = true
    for (const lease of this.leases) if (lease.status.get() !== 'error') lease.status.set(live ? 'live' : 'pending')
  }

  /**
   * Fails every lease; each lease's own onError hears it. Returns whether the instance's onError must hear it
   * (some lease has no onError of its own, or there was none): the caller reports it there, once.
   */
  fail(error: SupasyncError): boolean {
    this.pool.forget(this)
    let unhandled = this.leases.size === 0
    for (const lease of [...this.leases]) {
      lease.error = error
      lease.status.set('error')
      this.pool.leaseGone()
      if (lease.onError) lease.onError(error)
      else unhandled = true
    }
    this.leases.clear()
    return unhandled
  }

  removeLease(lease: Lease): void {
    if (!this.leases.delete(lease)) return
    this.pool.leaseGone()
    if (this.leases.size === 0) this.pool.scheduleRelease(this)
  }
}

/**
 * postgres_changes for every holder: identical specs share one server binding, distinct bindings are packed
 * onto as few channels as the limits allow, and every change of a channel's binding set is made before the
 * old channel breaks. Deliveries that arrive twice during a swap are dropped.
 */
export class ChangesPool {
  private readonly bindings = new Map<string, Binding>()
  readonly hosts = new Set<ChangeHost>()
  private hostCounter = 0
  /** Live leases, kept as a count so status updates stay O(1) with 10 000 leases. */
  private leases = 0
  /** Keys of changes delivered while a swap overlaps, with their expiry: first arrival wins. */
  private readonly recent = new Map<string, number>()
  private dedupeUntil = 0
  readonly reportError: (error: SupasyncError) => void

  constructor(
    private readonly context: PoolContext,
    private readonly instanceId: string,
    /** Channels that rooms may still need: changes never take the last ones. */
    private readonly reservedForRooms: () => number,
    /** Closes the oldest room kept only by its grace period, to free its slot; false when there is none. */
    private readonly evictIdleRoom: () => boolean = () => false,
  ) {
    this.reportError = (error) => context.reportError(error)
  }

  subscribe(spec: ChangeSpec, listener: (change: ChangePayload) => void, options: ChangesOptions = {}): ChangesLease {
    if (typeof listener !== 'function') throw new SupasyncError('INVALID_FILTER', 'sync.changes(spec, callback): the callback must be a function.')
    const normalized = normalizeSpec(spec)
    const key = specKey(normalized)
    let binding = this.bindings.get(key)
    if (!binding) {
      binding = new Binding(this, key, normalized)
      // Placing may throw CHANNEL_LIMIT: only a placed binding is registered.
      this.place(binding)
      this.bindings.set(key, binding)
    }
    binding.cancelGrace?.()
    binding.cancelGrace = undefined
    const lease = new Lease(binding, listener, options.onError, options.onSubscribed)
    if (binding.live) lease.status.set('live')
    binding.leases.add(lease)
    this.leases++
    this.context.changed()
    return lease
  }

  /** Picks a host with room, opening another while the channel budget allows, else the least loaded. */
  private place(binding: Binding): void {
    const { maxBindingsPerChannel, maxChannels } = this.context.options
    let target: ChangeHost | undefined
    for (const host of this.hosts) {
      if (host.desired.size < maxBindingsPerChannel && (!target || host.desired.size > target.desired.size)) target = host
    }
    // One channel stays spare for make-before-break swaps. A released room in its grace period gives its slot up
    // rather than have a binding refused (or crammed onto a full channel).
    const budget = () => maxChannels - 1 - this.reservedForRooms()
    while (!target && this.hosts.size >= budget() && this.evictIdleRoom()) {
      // evicted one; look again
    }
    if (!target && this.hosts.size < budget()) {
      target = new ChangeHost(this.context, `${this.instanceId}:${++this.hostCounter}`, {
        swapped: () => this.afterSwap(),
        emptied: (host) => this.removeHost(host),
        slotFreed: () => this.slotFreed(),
      })
      this.hosts.add(target)
    }
    if (!target) {
      for (const host of this.hosts) if (!target || host.desired.size < target.desired.size) target = host
    }
    if (!target) {
      throw new SupasyncError(
        'CHANNEL_LIMIT',
        `No realtime channel is left for postgres_changes: ${this.reservedForRooms()} of maxChannels=${maxChannels} are rooms. Release rooms or raise maxChannels (the server allows 100 per socket).`,
      )
    }
    binding.host = target
    target.desired.add(binding)
    target.requestRebuild()
  }

  deliver(binding: Binding, payload: ChangePayload, from: Generation): void {
    const host = binding.host
    if (!host || (from !== host.current && from !== host.next) || binding.leases.size === 0) return
    const now = this.context.scheduler.now()
    if (host.next || now < this.dedupeUntil) {
      const key = `${binding.key}|${payload.commit_timestamp}|${payload.eventType}|${JSON.stringify(payload.new)}|${JSON.stringify(payload.old)}`
      const seen = this.recent.get(key)
      if (seen !== undefined && seen > now) {
        this.context.metrics.counters.duplicatesDropped++
        return
      }
      this.recent.set(key, now + DEDUPE_TAIL_MS + this.context.options.postgresReadyTimeoutMs)
      // Insertion order is expiry order: drop expired entries from the front, and cap the size.
      for (const [entry, expires] of this.recent) {
        if (expires > now && this.recent.size <= 20_000) break
        this.recent.delete(entry)
      }
    }
    this.context.metrics.changeLag.record(now - Date.parse(payload.commit_timestamp))
    this.context.metrics.counters.changesDelivered += binding.leases.size
    // A listener may release leases while we iterate: copy only when there is more than one.
    const leases = binding.leases.size === 1 ? binding.leases : [...binding.leases]
    for (const lease of leases) {
      try {
        lease.listener(payload)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  private afterSwap(): void {
    // The old generation's last frames may still be in flight: keep filtering for a moment.
    this.dedupeUntil = this.context.scheduler.now() + DEDUPE_TAIL_MS
  }

  /** A lease went away (released, or refused by the server). */
  leaseGone(): void {
    this.leases--
    this.context.changed()
  }

  scheduleRelease(binding: Binding): void {
    binding.cancelGrace?.()
    binding.cancelGrace = this.context.scheduler.after(this.context.options.graceMs, () => {
      binding.cancelGrace = undefined
      if (binding.leases.size > 0) return
      this.forget(binding)
    })
  }

  /** Drops a binding from its host. Its server binding stays until the host next rebuilds (or empties). */
  forget(binding: Binding): void {
    if (this.bindings.get(binding.key) === binding) this.bindings.delete(binding.key)
    const host = binding.host
    binding.host = undefined
    if (!host) return
    host.desired.delete(binding)
    if (host.desired.size === 0) {
      this.removeHost(host)
      return
    }
    // Compact once half the channel's bindings are dead weight (each delivery to them is wasted work).
    host.stale++
    if (host.stale * 2 > host.desired.size) host.requestRebuild()
    this.context.changed()
  }

  private removeHost(host: ChangeHost): void {
    if (!this.hosts.delete(host)) return
    host.close()
  }

  private slotFreed(): void {
    for (const host of this.hosts) host.retryIfWaiting()
  }

  /** True when every binding is carried by a live channel. */
  get allLive(): boolean {
    for (const host of this.hosts) if (host.desired.size > 0 && !host.current?.live) return false
    return true
  }

  get channelCount(): number {
    let count = 0
    for (const host of this.hosts) count += host.channelCount
    return count
  }

  /** Channels to budget for, slots of hosts waiting to re-create their channel included. */
  get reservedChannels(): number {
    let count = 0
    for (const host of this.hosts) count += host.reservedChannels
    return count
  }

  get leaseCount(): number {
    return this.leases
  }

  get bindingCount(): number {
    return this.bindings.size
  }

  close(): void {
    for (const binding of this.bindings.values()) {
      binding.cancelGrace?.()
      for (const lease of binding.leases) lease.status.set('released')
      binding.leases.clear()
    }
    this.leases = 0
    this.bindings.clear()
    for (const host of [...this.hosts]) this.removeHost(host)
    this.recent.clear()
  }
}

