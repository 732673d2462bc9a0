import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Percentile of a sample (nearest-rank), in the sample's unit. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export function summarize(values: number[]): { count: number; p50: number; p90: number; p95: number; p99: number; max: number; mean: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / (values.length || 1)
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.reduce((largest, value) => (value > largest ? value : largest), Number.NEGATIVE_INFINITY),
    mean: Math.round(mean * 100) / 100,
  }
}

/** `value` rounded to `digits` decimals; NaN and ±Infinity pass through. */
export function round(value: number, digits = 3): number {
  return Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value
}

/** gc() of a process started without --expose-gc (the runner's): switched on for this process, then taken from a fresh context. */
export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing) return existing
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** One benchmark figure, as printed in the table and written to JSON. */
export interface Figure {
  suite: string
  name: string
  value: number
  unit: string
  /** The target from the issue, as text (e.g. "≤ 20"). */
  target?: string
  /** Whether the value meets the target; undefined when there is no target. */
  ok?: boolean
  details?: Record<string, unknown>
}
