/** The `interval` type. */

import { US_PER_DAY } from './calendar.js'
import { cTrim } from './cText.js'
import { PgError } from './errors.js'
import { cmpNum, jsonbText, type TypeDef } from './TypeDef.js'

interface Interval {
  readonly months: number
  readonly days: number
  readonly micros: number
}

const INTERVAL_UNITS: Readonly<Record<string, [field: 'months' | 'days' | 'micros', factor: number]>> = {
  microsecond: ['micros', 1], microseconds: ['micros', 1], us: ['micros', 1], usec: ['micros', 1], usecs: ['micros', 1],
  millisecond: ['micros', 1e3], milliseconds: ['micros', 1e3], ms: ['micros', 1e3], msec: ['micros', 1e3], msecs: ['micros', 1e3],
  second: ['micros', 1e6], seconds: ['micros', 1e6], s: ['micros', 1e6], sec: ['micros', 1e6], secs: ['micros', 1e6],
  minute: ['micros', 6e7], minutes: ['micros', 6e7], m: ['micros', 6e7], min: ['micros', 6e7], mins: ['micros', 6e7],
  hour: ['micros', 3.6e9], hours: ['micros', 3.6e9], h: ['micros', 3.6e9], hr: ['micros', 3.6e9], hrs: ['micros', 3.6e9],
  day: ['days', 1], days: ['days', 1], d: ['days', 1],
  week: ['days', 7], weeks: ['days', 7], w: ['days', 7],
  month: ['months', 1], months: ['months', 1], mon: ['months', 1], mons: ['months', 1],
  year: ['months', 12], years: ['months', 12], y: ['months', 12], yr: ['months', 12], yrs: ['months', 12],
  decade: ['months', 120], decades: ['months', 120], century: ['months', 1200], centuries: ['months', 1200],
  millennium: ['months', 12000], millennia: ['months', 12000],
}

/** Interval input for PostgreSQL-style (`1 day 02:00:00`, `@ 3 hours ago`) and ISO 8601 (`P1DT2H`) forms. */
function parseInterval(text: string): Interval {
  const bad = (): PgError => new PgError('22007', `invalid input syntax for type interval: "${text}"`)
  let s = cTrim(text).toLowerCase()
  if (s === '') throw bad()
  const acc = { months: 0, days: 0, micros: 0 }
  const add = (amount: number, field: 'months' | 'days' | 'micros', factor: number): void => {
    // Fractions cascade down as PostgreSQL does: months → 30-day days → µs.
    let value = amount * factor
    if (field === 'months') {
      const whole = Math.trunc(value)
      acc.months += whole
      value = (value - whole) * 30
      field = 'days'
    }
    if (field === 'days') {
      const whole = Math.trunc(value)
      acc.days += whole
      acc.micros += Math.round((value - whole) * US_PER_DAY)
      return
    }
    acc.micros += Math.round(value)
  }
  if (s.startsWith('p')) {
    const m = /^p(?:([-\d.]+)y)?(?:([-\d.]+)m)?(?:([-\d.]+)w)?(?:([-\d.]+)d)?(?:t(?:([-\d.]+)h)?(?:([-\d.]+)m)?(?:([-\d.]+)s)?)?$/.exec(s)
    if (!m || s === 'p') throw bad()
    const parts: [string | undefined, 'months' | 'days' | 'micros', number][] = [
      [m[1], 'months', 12], [m[2], 'months', 1], [m[3], 'days', 7], [m[4], 'days', 1],
      [m[5], 'micros', 3.6e9], [m[6], 'micros', 6e7], [m[7], 'micros', 1e6],
    ]
    for (const [value, field, factor] of parts) {
      if (value === undefined) continue
      const amount = Number(value)
      if (!Number.isFinite(amount)) throw bad()
      add(amount, field, factor)
    }
    return acc
  }
  let ago = false
  if (s.startsWith('@')) s = s.slice(1).trim()
  if (/\bago$/.test(s)) {
    ago = true
    s = s.slice(0, -3).trim()
  }
  const tokens = s.split(/[ \t\n\r\v\f]+/).filter((token) => token !== '')
  if (tokens.length === 0) throw bad()
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? ''
    const time = /^([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$/.exec(token)
    if (time) {
      const sign = time[1] === '-' ? -1 : 1
      add(sign * (Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4] ?? '0')), 'micros', 1e6)
      continue
    }
    const number = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-z]*)$/.exec(token)
    if (!number) throw bad()
    let unitName = number[2] ?? ''
    if (unitName === '' && i + 1 < tokens.length && INTERVAL_UNITS[tokens[i + 1] ?? ''] !== undefined) unitName = tokens[++i] ?? ''
    const unit = unitName === '' ? (i === tokens.length - 1 ? INTERVAL_UNITS.second : undefined) : INTERVAL_UNITS[unitName]
    if (!unit) throw bad()
    add(Number(number[1]), unit[0], unit[1])
  }
  return ago ? { months: -acc.months, days: -acc.days, micros: -acc.micros } : acc
}

/** interval_cmp compares the span with 30-day months and 24-hour days. */
const intervalSpan = (value: Interval): number => (value.months * 30 + value.days) * US_PER_DAY + value.micros

export const intervalType: TypeDef = {
  regtype: 'interval',
  kind: 'interval',
  input: parseInterval,
  fromJson: (value) => parseInterval(jsonbText(value)),
  compare: (a, b) => cmpNum(intervalSpan(a as Interval), intervalSpan(b as Interval)),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}
