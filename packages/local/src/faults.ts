import type { RestFaults } from './gateway.js'
import type { PostgresHandle } from './postgres.js'
import type { RealtimeServer } from './realtime/RealtimeServer.js'

/** Fault injection for tests and benchmarks. Every switch applies at once and until changed. */
export interface LocalStackFaults {
  /** Destroys every Realtime socket without a close frame (clients see code 1006 and reconnect). */
  dropConnections(): void
  /** While on, sockets stay open but the server answers nothing and delivers nothing: a silently dead socket. */
  blackholeHeartbeats(on: boolean): void
  /** Silently loses this share (0..1) of postgres_changes deliveries. 0 turns it off. */
  dropChanges(ratio: number): void
  /** Stops Realtime: sockets cut, upgrades refused, the replication slot dropped (changes meanwhile are lost). */
  stopRealtime(): Promise<void>
  /** Starts Realtime again with a fresh replication slot. */
  startRealtime(): Promise<void>
  /** While on, every join is refused with `RealtimeRestarting` after the join-error delay. */
  refuseJoins(on: boolean): void
  /** The next `count` REST requests get `status` (and `Retry-After` when given, in seconds). */
  failRest(options: { status: number; count: number; retryAfterSeconds?: number }): void
  /** REST refuses connections until {@link startRest}. */
  stopRest(): void
  startRest(): void
  /** The next `count` REST requests are executed (writes commit) but the response never reaches the client. */
  loseRestResponses(count: number): void
  /**
   * Restarts the embedded Postgres (a fast shutdown, as `pg_ctl restart -m fast`): every session ends, PostgREST
   * and Realtime reconnect by themselves, the replication slot is new (changes committed while it was down were
   * never decoded). Throws for a stack started with `databaseUrl`.
   */
  restartPostgres(): Promise<void>
  /** Turns every fault off and restarts Realtime if it was stopped. */
  reset(): Promise<void>
}

export function createFaults(realtime: RealtimeServer, rest: RestFaults, postgres?: Pick<PostgresHandle, 'restart'>): LocalStackFaults {
  const checkCount = (name: string, count: number) => {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`${name}: count must be a non-negative integer, got ${count}`)
  }
  return {
    dropConnections: () => realtime.dropConnections(),
    blackholeHeartbeats(on) {
      realtime.faults.blackholed = on
    },
    dropChanges(ratio) {
      if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`dropChanges: ratio must be between 0 and 1, got ${ratio}`)
      realtime.faults.dropChangesRatio = ratio
    },
    stopRealtime: () => realtime.stop(),
    startRealtime: () => realtime.start(),
    refuseJoins(on) {
      realtime.acceptingJoins = !on
    },
    failRest({ status, count, retryAfterSeconds }) {
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`failRest: status must be 400..599, got ${status}`)
      checkCount('failRest', count)
      rest.fail = count > 0 ? { status, remaining: count, retryAfterSeconds } : undefined
    },
    stopRest() {
      rest.stopped = true
    },
    startRest() {
      rest.stopped = false
    },
    loseRestResponses(count) {
      checkCount('loseRestResponses', count)
      rest.loseResponses = count
    },
    async restartPostgres() {
      if (!postgres?.restart) {
        throw new Error('restartPostgres needs the embedded Postgres; this stack uses an existing database (databaseUrl). Fix: restart that server yourself.')
      }
      await postgres.restart()
    },
    async reset() {
      realtime.faults.blackholed = false
      realtime.faults.dropChangesRatio = 0
      realtime.acceptingJoins = true
      rest.fail = undefined
      rest.stopped = false
      rest.loseResponses = 0
      if (!realtime.isServing) await realtime.start()
    },
  }
}
