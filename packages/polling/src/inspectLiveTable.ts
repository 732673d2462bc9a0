import { toWallTime, type InspectLiveTable, type InspectRegistration, type ReadableStore, type Supasync } from '@supasync/core'
import type { Freshness, LiveTableStats } from './LiveTable.js'
import type { ResolvedLiveOptions } from './options.js'

/** What the inspection reads of its table. */
interface InspectedTable {
  readonly freshness: ReadableStore<Freshness>
  stats(): LiveTableStats
}

type InspectedOptions = Pick<ResolvedLiveOptions<never>, 'schema' | 'table' | 'filter' | 'source' | 'maxStalenessMs'>

/** Holders of tables shared through acquireLiveTable, by table; a table created directly has one, its creator. */
const holderCounts = new WeakMap<object, () => number>()
/** Each table's inspection, so acquireLiveTable can say its holders changed. */
const inspections = new WeakMap<object, LiveTableInspection>()

/** acquireLiveTable: the table's holders are counted by `count` from now on. */
export function countLiveTableHolders(table: object, count: () => number): void {
  holderCounts.set(table, count)
  inspections.get(table)?.changed()
}

/** acquireLiveTable: a holder came or went. */
export function liveTableHoldersChanged(table: object): void {
  inspections.get(table)?.changed()
}

const NO_REGISTRATION: Pick<InspectRegistration, 'changed' | 'unregister'> & { id: string } = { id: '', changed: () => {}, unregister: () => {} }

/**
 * What `sync.inspect()` shows of one live table (issue #17): its options, mode and staleness against the budget, row
 * count, holders, reads through PostgREST and the changes realtime missed. Never a row.
 *
 * It follows the table from outside (its freshness store and `stats()`), and the table tells it of each read
 * (`read()`). A change of mode, sync time, error or row count marks the entry changed; the passing of time alone does
 * not, so a quiet table keeps the snapshot's identity, and `stalenessMs` is computed for the snapshot's `takenAt`
 * whenever one is built.
 */
export class LiveTableInspection {
  private readonly registration: Pick<InspectRegistration, 'changed' | 'unregister'> & { id: string }
  private polls = 0
  private failedPolls = 0
  /** When the last read completed (port clock). */
  private lastPollAt: number | undefined
  /** The freshness last seen, and when (port clock): staleness grows from there until the next one. */
  private freshness: Freshness
  private freshnessAt: number
  private rows = 0
  private missed = 0
  private readonly stop: () => void
  private readonly filter: Readonly<Record<string, string | number | boolean | null>>

  constructor(
    private readonly sync: Supasync,
    private readonly table: InspectedTable,
    private readonly options: InspectedOptions,
  ) {
    this.filter = Object.freeze({ ...options.filter })
    this.freshness = table.freshness.get()
    this.freshnessAt = sync.ports.timers.now()
    // Fakes of the instance in tests (and a core without inspect) have no registry: then nothing is shown.
    this.registration = typeof sync.registerInspect === 'function' ? sync.registerInspect('liveTable', (takenAt) => this.entry(takenAt)) : NO_REGISTRATION
    inspections.set(table, this)
    this.stop = table.freshness.subscribe((freshness) => this.freshnessChanged(freshness))
  }

  private freshnessChanged(next: Freshness): void {
    const previous = this.freshness
    this.freshness = next
    this.freshnessAt = this.sync.ports.timers.now()
    // Freshness is re-derived every second (staleness counts): only what a panel cannot extrapolate is a change.
    // Rows dropped or adopted by a key sweep show up here too, within the second.
    const { rows, missedByRealtime } = this.table.stats()
    const moved = next.mode !== previous.mode || next.lastSyncedAt !== previous.lastSyncedAt || next.error !== previous.error
    if (moved || rows !== this.rows || missedByRealtime !== this.missed) this.changed()
  }

  /** A read through PostgREST completed (`ok`) or failed. */
  read(ok: boolean): void {
    if (ok) {
      this.polls++
      this.lastPollAt = this.sync.ports.timers.now()
    } else this.failedPolls++
    this.changed()
  }

  changed(): void {
    this.registration.changed()
  }

  private entry(takenAt: number): InspectLiveTable {
    const { options, freshness } = this
    const now = this.sync.ports.timers.now()
    const { rows, missedByRealtime } = this.table.stats()
    this.rows = rows
    this.missed = missedByRealtime
    const error = freshness.error
    return {
      id: this.registration.id,
      schema: options.schema,
      table: options.table,
      filter: this.filter,
      source: options.source,
      mode: freshness.mode,
      lastSyncedAt: freshness.lastSyncedAt,
      // As of takenAt: the freshness store re-derives it once a second; the time since then is added (never less).
      stalenessMs: freshness.stalenessMs + Math.max(0, Math.ceil(now - this.freshnessAt)),
      maxStalenessMs: options.maxStalenessMs,
      rows,
      holders: holderCounts.get(this.table)?.() ?? 1,
      polls: this.polls,
      failedPolls: this.failedPolls,
      lastPollAt: this.lastPollAt === undefined ? undefined : Math.round(toWallTime(this.lastPollAt, now, takenAt)),
      missedByRealtime,
      error: error === undefined ? undefined : { code: error.code, message: error.message },
    }
  }

  /** The table was destroyed: it leaves the snapshot. */
  unregister(): void {
    this.stop()
    this.registration.unregister()
    inspections.delete(this.table)
  }
}
