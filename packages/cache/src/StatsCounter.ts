import type { CacheStats } from './Cache'

/** Mutable counters behind `stats()`; `snapshot()` returns a copy. */
export class StatsCounter {
  hits = 0
  misses = 0
  sets = 0
  skippedStale = 0

  /** Counts one write result. */
  written(applied: boolean): void {
    if (applied) this.sets++
    else this.skippedStale++
  }

  snapshot(extra: Partial<CacheStats> = {}): CacheStats {
    return { hits: this.hits, misses: this.misses, sets: this.sets, skippedStale: this.skippedStale, ...extra }
  }
}
