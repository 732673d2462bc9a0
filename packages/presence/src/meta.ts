import type { ConnectionMeta, PresenceState } from './types.js'

/**
 * The presence payload supasync tracks, one per connection:
 * `{ conn, state, away, typing, at }`. Typing and away live in the tracked payload, so neither costs a
 * presence call of its own: they ride along with the next (coalesced) track.
 */
export interface WireMeta<S extends object = PresenceState> {
  conn: string
  state: S
  away: boolean
  typing: boolean
  at: number
}

/** What this connection wants the room to see (the latest desired payload, before rate limiting). */
export interface DesiredMeta<S extends object = PresenceState> {
  state: S
  away: boolean
  typing: boolean
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The payload to track for `desired` at `at` (sender's epoch ms). */
export function encodeMeta<S extends object>(conn: string, desired: DesiredMeta<S>, at: number): WireMeta<S> {
  return { conn, state: desired.state, away: desired.away, typing: desired.typing, at }
}

/**
 * Content signature of a payload: equal signatures mean an identical track, which the server would ignore but
 * still count against the 5-per-30-s limit, so supasync never sends it. `at` is left out on purpose.
 */
export function signature(meta: { state: unknown; away: boolean; typing: boolean }): string {
  return JSON.stringify([meta.away, meta.typing, meta.state])
}

/**
 * Reads one entry of realtime-js's presence state or events (a tracked payload plus `presence_ref`). Entries
 * tracked by other clients without supasync keep their whole payload as the state, identified by their ref.
 *
 * The ref may be missing: realtime-js before 2.119.1 deletes `phx_ref` from its live state while building
 * event payloads (supabase/supabase-js#2565), so supasync identifies connections by `conn`, never by ref.
 */
export function parseMeta<S extends object>(raw: unknown): ConnectionMeta<S> | undefined {
  if (!isObject(raw)) return undefined
  const ref = typeof raw.presence_ref === 'string' ? raw.presence_ref : typeof raw.phx_ref === 'string' ? raw.phx_ref : ''
  if (typeof raw.conn === 'string' && isObject(raw.state)) {
    return {
      conn: raw.conn,
      ref,
      state: raw.state as S,
      away: raw.away === true,
      typing: raw.typing === true,
      at: typeof raw.at === 'number' && Number.isFinite(raw.at) ? raw.at : 0,
    }
  }
  const { presence_ref: _ref, phx_ref: _phx, phx_ref_prev: _prev, ...rest } = raw
  // A foreign entry without its ref (see above) is identified by its payload.
  return { conn: ref || `payload:${JSON.stringify(rest)}`, ref, state: rest as S, away: false, typing: false, at: 0 }
}

/** A fresh per-connection id (random; no meaning beyond uniqueness). */
export function newConnectionId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (crypto?.randomUUID) return crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`
}
