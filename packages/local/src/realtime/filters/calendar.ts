/** Calendar arithmetic for the date and time types: proleptic Gregorian days, µs instants, IANA offsets. */

import type { Num } from './TypeDef.js'

export const US_PER_DAY = 86_400_000_000

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical years: 1 BC is 0). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
export const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** µs since the epoch; beyond ±2^53 (years outside ~1685–2255) it is a bigint, to stay exact. */
export function toMicros(days: number, microsOfDay: number): Num {
  const value = days * US_PER_DAY + microsOfDay
  return Number.isSafeInteger(value) ? value : BigInt(days) * BigInt(US_PER_DAY) + BigInt(microsOfDay)
}

/** C `rint`: halves go to the even neighbour. */
export function rint(value: number): number {
  const rounded = Math.round(value)
  return Math.abs(value % 1) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded
}

export const MIN_DATE_DAYS = daysFromCivil(-4713, 11, 24)
export const MAX_DATE_DAYS = daysFromCivil(5874897, 12, 31)
export const MAX_TIMESTAMP = BigInt(daysFromCivil(294277, 1, 1)) * BigInt(US_PER_DAY)
export const MIN_TIMESTAMP = BigInt(MIN_DATE_DAYS) * BigInt(US_PER_DAY)

const zoneFormatters = new Map<string, Intl.DateTimeFormat | null>()

/** Offset east of UTC (seconds) of an IANA zone at a UTC instant, or undefined for an unknown zone. */
export function ianaOffset(zone: string, utcMillis: number): number | undefined {
  let formatter = zoneFormatters.get(zone)
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      })
    } catch {
      formatter = null
    }
    zoneFormatters.set(zone, formatter)
  }
  if (formatter === null) return undefined
  const clamped = Math.min(Math.max(utcMillis, -8.64e15 + 86_400_000), 8.64e15 - 86_400_000)
  const parts: Record<string, string> = {}
  for (const part of formatter.formatToParts(clamped)) parts[part.type] = part.value
  const year = Number(parts.year) * (parts.era === 'BC' ? -1 : 1) + (parts.era === 'BC' ? 1 : 0)
  const local = daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86_400_000 +
    (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000
  return Math.round((local - Math.floor(clamped / 1000) * 1000) / 1000)
}
