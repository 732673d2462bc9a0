/**
 * Reading a phx_join payload the way the server's payload schemas do
 * (lib/realtime_web/channels/payloads/{join,config,broadcast,presence,postgres_change,flexible_boolean}.ex):
 * invalid payloads fall back to defaults instead of failing the join.
 */
import { randomUUID } from 'node:crypto'

export interface PostgresChangeParams {
  /** The params map exactly as the client sent it, echoed back in the join reply with an `id`. */
  raw: Record<string, unknown>
  event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
  schema: string
  table: string
  filter: string | undefined
  /** Stable per identical params, like :erlang.phash2(params). */
  id: number
}

/** `config.broadcast.replay` as the channel reads it: the raw params, not the validated schema (realtime_channel.ex). */
export type ReplayRequest =
  | { kind: 'none' }
  /** Present but not a map (e.g. null): no replay on a private channel, still an error on a public one. */
  | { kind: 'ignored' }
  | { kind: 'invalid' }
  | { kind: 'replay'; since: number; limit: number }

/** The server's hard cap and effective default (`replay_params["limit"] || 25`; lib/realtime/messages.ex @hard_limit). */
export const REPLAY_HARD_LIMIT = 25

export interface JoinConfig {
  broadcast: { self: boolean; ack: boolean; replay: ReplayRequest; replicationReady: boolean }
  presence: { key: string; enabled: boolean }
  postgresChanges: PostgresChangeParams[]
  private: boolean
  accessToken: string | undefined
}

/** Accepts true/false or the strings "true"/"false" in any case, like the server's FlexibleBoolean. */
export function flexibleBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const lower = value.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
  }
  return fallback
}

const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}

/** Canonical JSON (sorted keys) so the id does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** A stable non-negative integer below 2^27, the range of :erlang.phash2/1. */
export function bindingId(params: Record<string, unknown>): number {
  let hash = 0x811c9dc5
  const text = canonical(params)
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % 0x8000000
}

function eventOf(value: unknown): PostgresChangeParams['event'] {
  const upper = typeof value === 'string' ? value.toUpperCase() : '*'
  return upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*'
}

function parseReplay(broadcast: Record<string, unknown>): ReplayRequest {
  if (!('replay' in broadcast)) return { kind: 'none' }
  const replay = broadcast.replay
  if (!replay || typeof replay !== 'object' || Array.isArray(replay)) return { kind: 'ignored' }
  const { since, limit } = replay as Record<string, unknown>
  // since is Unix milliseconds and must be an integer; a limit that is not a positive integer is not valid either.
  // DateTime.from_unix(since, :millisecond) takes years -9999 to 9999: negative values (before 1970) included.
  if (typeof since !== 'number' || !Number.isInteger(since) || since < -377705116800000 || since > 253402300799999) return { kind: 'invalid' }
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || !Number.isInteger(limit))) return { kind: 'invalid' }
  // Elixir's `||` only skips nil and false: a limit of 0 is kept, then raised to 1 by the clamp.
  const wanted = typeof limit === 'number' ? limit : REPLAY_HARD_LIMIT
  return { kind: 'replay', since, limit: Math.max(Math.min(wanted, REPLAY_HARD_LIMIT), 1) }
}

export function parseJoinPayload(payload: unknown): JoinConfig {
  const body = asObject(payload)
  const config = asObject(body.config)
  const broadcast = asObject(config.broadcast)
  const presence = asObject(config.presence)
  const key = typeof presence.key === 'string' && presence.key.trim() !== '' ? presence.key : ''
  const changes = Array.isArray(config.postgres_changes) ? config.postgres_changes : []
  return {
    broadcast: {
      self: flexibleBoolean(broadcast.self, false),
      ack: flexibleBoolean(broadcast.ack, false),
      replay: parseReplay(broadcast),
      replicationReady: flexibleBoolean(broadcast.replication_ready, false),
    },
    // An empty key gets a fresh uuid per join, as the server does (payloads/join.ex presence_key/1).
    presence: { key: key || randomUUID(), enabled: flexibleBoolean(presence.enabled, false) },
    postgresChanges: changes.map((entry) => {
      const raw = asObject(entry)
      const schemaGiven = typeof raw.schema === 'string' && raw.schema !== ''
      const tableGiven = typeof raw.table === 'string' && raw.table !== ''
      return {
        raw,
        event: eventOf(raw.event),
        // Only `table` means schema public; only `schema` means every table (subscriptions.ex).
        schema: schemaGiven ? (raw.schema as string) : tableGiven ? 'public' : '',
        table: tableGiven ? (raw.table as string) : schemaGiven ? '*' : '',
        filter: typeof raw.filter === 'string' ? raw.filter : undefined,
        id: bindingId(raw),
      }
    }),
    private: flexibleBoolean(config.private, false),
    accessToken: typeof body.access_token === 'string' && body.access_token !== '' ? body.access_token : undefined,
  }
}
