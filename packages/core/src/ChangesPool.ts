import { ChangeHost, type ChangePayload, type Generation, type HostedBinding } from './ChangeHost.js'
import { normalizeSpec, specGroupKey, specKey, type ChangeSpec, type NormalizedSpec } from './changeSpec.js'
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

/** Hands a change to one lease; a throwing listener is reported asynchronously and never starves the others. */
function notify(lease: Lease, payload: ChangePayload): void {
  try {
    lease.listener(payload)
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
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
  /**
   * The leases of this spec: the only one inline, a Set once a second shares it. Most distinct specs have one holder
   * (a row, a detail view), and a Set costs ~230 bytes even with one entry: with 10,000 distinct specs that was a
   * fifth of the memory per lease (issue #16).
   */
  private leases: Lease | Set<Lease> | undefined
  host: ChangeHost | undefined
  live = false
  everLive = false
  cancelGrace: (() => void) | undefined

  constructor(
    private readonly pool: ChangesPool,
    readonly spec: NormalizedSpec,
  ) {}

  get leaseCount(): number {
    const leases = this.leases
    return leases === undefined ? 0 : leases instanceof Set ? leases.size : 1
  }

  /** The lease when it is the only one and held inline (the delivery path then allocates nothing). */
  get onlyLease(): Lease | undefined {
    const leases = this.leases
    return leases instanceof Set ? undefined : leases
  }

  /** The leases now, as a copy when there are several: a listener may release leases while the caller iterates. */
  leaseList(): readonly Lease[] {
    const leases = this.leases
    return leases === undefined ? [] : leases instanceof Set ? [...leases] : [leases]
  }

  addLease(lease: Lease): void {
    const leases = this.leases
    if (leases === undefined) this.leases = lease
    else if (leases instanceof Set) leases.add(lease)
    else this.leases = new Set([leases, lease])
  }

  /** Removes a lease; false if it was not here. */
  private dropLease(lease: Lease): boolean {
    const leases = this.leases
    if (leases === lease) this.leases = undefined
    else if (!(leases instanceof Set) || !leases.delete(lease)) return false
    return true
  }

  deliver(from: Generation, payload: ChangePayload): void {
    this.pool.deliver(this, payload, from)
  }

  subscribed(): void {
    for (const lease of this.leaseList()) lease.onSubscribed?.()
  }

  setLive(live: boolean): void {
    this.live = live
    if (live) this.everLive = true
    for (const lease of this.leaseList()) if (lease.status.get() !== 'error') lease.status.set(live ? 'live' : 'pending')
  }

  /**
   * Fails every lease; each lease's own onError hears it. Returns whether the instance's onError must hear it
   * (some lease has no onError of its own, or there was none): the caller reports it there, once.
   */
  fail(error: SupasyncError): boolean {
    this.pool.forget(this)
    const leases = this.leaseList()
    this.leases = undefined
    let unhandled = leases.length === 0
    for (const lease of leases) {
      lease.error = error
      lease.status.set('error')
      this.pool.leaseGone()
      if (lease.onError) lease.onError(error)
      else unhandled = true
    }
    return unhandled
  }

  removeLease(lease: Lease): void {
    if (!this.dropLease(lease)) return
    this.host?.record.touch()
    this.pool.leaseGone()
    if (this.leaseCount === 0) this.pool.scheduleRelease(this)
  }

  /** Marks every lease released and forgets them (the pool is closing). */
  releaseAll(): void {
    for (const lease of this.leaseList()) lease.status.set('released')
    this.leases = undefined
  }
}

/**
 * postgres_changes for every holder: identical specs share one server binding, distinct bindings are packed
 * onto as few channels as the limits allow, and every change of a channel's binding set is made before the
 * old channel breaks. Deliveries that arrive twice during a swap are dropped.
 */
export class ChangesPool {
  /**
   * Bindings by `specGroupKey` (event, schema, table), then by filter ('' for none): the filter string is the app's
   * own, already held by the spec, so a distinct spec adds a map entry and no key string.
   */
  private readonly bindings = new Map<string, Map<string, Binding>>()
  private bindingTotal = 0
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
    const groupKey = specGroupKey(normalized)
    let group = this.bindings.get(groupKey)
    let binding = group?.get(normalized.filter ?? '')
    if (!binding) {
      binding = new Binding(this, normalized)
      // Placing may throw CHANNEL_LIMIT: only a placed binding is registered.
      this.place(binding)
      if (!group) this.bindings.set(groupKey, (group = new Map()))
      group.set(normalized.filter ?? '', binding)
      this.bindingTotal++
    }
    binding.cancelGrace?.()
    binding.cancelGrace = undefined
    const lease = new Lease(binding, listener, options.onError, options.onSubscribed)
    if (binding.live) lease.status.set('live')
    binding.addLease(lease)
    binding.host?.record.touch()
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
    target.record.touch()
    target.requestRebuild()
  }

  deliver(binding: Binding, payload: ChangePayload, from: Generation): void {
    const host = binding.host
    const count = binding.leaseCount
    if (!host || (from !== host.current && from !== host.next) || count === 0) return
    const now = this.context.scheduler.now()
    if (host.next || now < this.dedupeUntil) {
      const key = `${specKey(binding.spec)}|${payload.commit_timestamp}|${payload.eventType}|${JSON.stringify(payload.new)}|${JSON.stringify(payload.old)}`
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
    this.context.metrics.counters.changesDelivered += count
    // Name and time only: the row stays with the leases.
    host.record.event('postgres_changes', payload.eventType, now, binding.spec)
    const only = binding.onlyLease
    if (only) notify(only, payload)
    else for (const lease of binding.leaseList()) notify(lease, payload)
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
      if (binding.leaseCount > 0) return
      this.forget(binding)
    })
  }

  /** Drops a binding from its host. Its server binding stays until the host next rebuilds (or empties). */
  forget(binding: Binding): void {
    const groupKey = specGroupKey(binding.spec)
    const group = this.bindings.get(groupKey)
    const filterKey = binding.spec.filter ?? ''
    if (group?.get(filterKey) === binding) {
      group.delete(filterKey)
      this.bindingTotal--
      if (group.size === 0) this.bindings.delete(groupKey)
    }
    const host = binding.host
    binding.host = undefined
    if (!host) return
    host.desired.delete(binding)
    host.record.touch()
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
    return this.bindingTotal
  }

  close(): void {
    for (const group of this.bindings.values()) {
      for (const binding of group.values()) {
        binding.cancelGrace?.()
        binding.releaseAll()
      }
    }
    this.leases = 0
    this.bindings.clear()
    this.bindingTotal = 0
    for (const host of [...this.hosts]) this.removeHost(host)
    this.recent.clear()
  }
}

