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

export interface JoinConfig {
  broadcast: { self: boolean; ack: boolean }
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

export function parseJoinPayload(payload: unknown): JoinConfig {
  const body = asObject(payload)
  const config = asObject(body.config)
  const broadcast = asObject(config.broadcast)
  const presence = asObject(config.presence)
  const key = typeof presence.key === 'string' && presence.key.trim() !== '' ? presence.key : ''
  const changes = Array.isArray(config.postgres_changes) ? config.postgres_changes : []
  return {
    broadcast: { self: flexibleBoolean(broadcast.self, false), ack: flexibleBoolean(broadcast.ack, false) },
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
