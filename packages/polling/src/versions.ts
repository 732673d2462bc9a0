/**
 * Row versions. The cursor column (a `timestamptz` stamped by the server) is turned into an exact number of
 * microseconds since the epoch, because JavaScript dates keep only milliseconds and two writes of one row can be
 * a few microseconds apart. 2^53 µs reach the year 2255, so the numbers stay exact.
 */

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * The version of a cursor value: integers as they are (a `bigint` version column), timestamps as microseconds
 * since the epoch. Accepts what PostgREST prints (`2026-11-23T10:00:00.123456+00:00`), what Realtime sends
 * (`2026-11-23 10:00:00.123456+00`) and `Z` forms. A timestamp without an offset is read as UTC (a
 * `timestamp without time zone` column holding UTC). Returns `undefined` for anything else.
 */
export function parseVersion(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  if (/^-?\d{1,15}$/.test(value)) return Number(value)
  const match = TIMESTAMP.exec(value.trim())
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second))
  if (!Number.isFinite(ms)) return undefined
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6))
  let offsetMinutes = 0
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
  }
  return (ms - offsetMinutes * 60_000) * 1000 + micros
}

/** Microseconds since the epoch → `2026-11-23T10:00:00.123456Z`, a literal Postgres reads back exactly. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000)
  const rest = micros - ms * 1000
  const iso = new Date(ms).toISOString() // 2026-11-23T10:00:00.123Z
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`
}
