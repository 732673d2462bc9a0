/**
 * Text the panel shows: durations, ages, and the redaction every string goes through before it reaches the DOM.
 * Pure functions, so the tabs stay pure functions of the snapshot.
 */

/** Longest text shown for one value; longer strings (a verbose error) are cut with an ellipsis. */
const MAX_TEXT = 300

// A snapshot carries no secrets by contract, but error messages are written by servers and other packages: a token
// quoted in one must not end up on a screen share. Each pattern keeps the part that tells the reader what it was.
const REDACTIONS: readonly [RegExp, string][] = [
  // JWTs (Supabase access tokens, anon and service-role keys): three base64url parts, the first a JSON header.
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[token hidden]'],
  // Supabase's newer API keys.
  [/\bsb_(secret|publishable)_[A-Za-z0-9_-]+/g, '[key hidden]'],
  // Authorization headers quoted in a message.
  [/\b(Bearer|Basic)\s+(?!\[)[A-Za-z0-9._~+/-]+=*/gi, '$1 [hidden]'],
  // Query-string or header style credentials: apikey=…, access_token: … (not what an earlier pattern hid already)
  [/\b(apikey|api_key|access_token|refresh_token|token|password|secret)(["']?\s*[=:]\s*["']?)(?!\[)[^\s&"',;}]+/gi, '$1$2[hidden]'],
]

/** `text` with anything that looks like a credential replaced, cut to {@link MAX_TEXT} characters. */
export function redact(text: string): string {
  let safe = text
  for (const [pattern, replacement] of REDACTIONS) safe = safe.replace(pattern, replacement)
  return safe.length > MAX_TEXT ? `${safe.slice(0, MAX_TEXT - 1)}…` : safe
}

/** `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`; `—` for undefined or a value that is not a finite number. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—'
  const value = Math.max(0, ms)
  if (value < 1000) return `${Math.round(value)} ms`
  if (value < 60_000) return `${(Math.floor(value / 100) / 10).toFixed(1)} s`
  const seconds = Math.floor(value / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`
}

/** How long ago `at` (epoch ms) was at `now`: `12.4 s ago`; `never` when `at` is undefined. */
export function formatAge(at: number | undefined, now: number): string {
  if (at === undefined || !Number.isFinite(at)) return 'never'
  return `${formatDuration(now - at)} ago`
}

/**
 * How close a live table is to its budget: 'ok' below 75 %, 'warn' from 75 % (a poll or two has gone wrong),
 * 'over' at or beyond it (the visibility promise is broken right now). Polling keeps staleness near a third of the
 * budget and realtime far below, so 75 % is never reached by a healthy table.
 */
export type StalenessLevel = 'ok' | 'warn' | 'over'

/** The share of the budget at which a staleness turns from 'ok' to 'warn'. */
export const WARN_SHARE = 0.75

export function stalenessLevel(stalenessMs: number, budgetMs: number): StalenessLevel {
  if (!(budgetMs > 0)) return 'ok'
  if (stalenessMs >= budgetMs) return 'over'
  return stalenessMs >= budgetMs * WARN_SHARE ? 'warn' : 'ok'
}

/**
 * A live table's staleness now: the snapshot's figure plus the time since it was taken, because staleness keeps
 * growing until the next sync, and a quiet instance sends no new snapshot.
 */
export function stalenessAt(stalenessMs: number, takenAt: number, now: number): number {
  return Math.max(0, stalenessMs) + Math.max(0, now - takenAt)
}

/** A live table's filter as text, `project_id = 1, status = 'open'`; `whole table` for `{}`. */
export function formatFilter(filter: Readonly<Record<string, string | number | boolean | null>> | undefined): string {
  const entries = Object.entries(filter ?? {})
  if (entries.length === 0) return 'whole table'
  return entries.map(([column, value]) => (value === null ? `${column} is null` : `${column} = ${typeof value === 'string' ? `'${value}'` : String(value)}`)).join(', ')
}

/** `1 row`, `3 rows`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
