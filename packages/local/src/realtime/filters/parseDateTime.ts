/** PostgreSQL's datetime input functions (date, timestamp[tz], time[tz]) with their error texts. */

import {
  daysFromCivil,
  daysInMonth,
  ianaOffset,
  MAX_DATE_DAYS,
  MAX_TIMESTAMP,
  MIN_DATE_DAYS,
  MIN_TIMESTAMP,
  rint,
  toMicros,
  US_PER_DAY,
} from './calendar.js'
import { cTrim } from './cText.js'
import { PgError } from './errors.js'

export type DtKind = 'date' | 'timestamp' | 'timestamptz' | 'time' | 'timetz'

/** The names PostgreSQL's datetime errors use (not regtype's: `timestamp`, not `timestamp without time zone`). */
const DT_ERROR_NAMES: Readonly<Record<DtKind, string>> = {
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
  time: 'time',
  timetz: 'time with time zone',
}

/** timetz: time of day in µs and the zone's offset east of UTC in seconds. */
export interface TimeTz {
  readonly t: number
  readonly z: number
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11,
  november: 11, dec: 12, december: 12,
}
const WEEKDAYS: ReadonlySet<string> = new Set([
  'sun', 'sunday', 'mon', 'monday', 'tue', 'tues', 'tuesday', 'wed', 'wednesday', 'thu', 'thur', 'thurs',
  'thursday', 'fri', 'friday', 'sat', 'saturday',
])
/** Common entries of PostgreSQL's `Default` abbreviation set, in seconds east of UTC. */
const ZONE_ABBREVIATIONS: Readonly<Record<string, number>> = {
  z: 0, zulu: 0, utc: 0, ut: 0, gmt: 0, wet: 0, west: 3600, bst: 3600, cet: 3600, cest: 7200, met: 3600,
  mest: 7200, eet: 7200, eest: 10800, msk: 10800, ist: 7200, est: -18000, edt: -14400, cst: -21600,
  cdt: -18000, mst: -25200, mdt: -21600, pst: -28800, pdt: -25200, akst: -32400, akdt: -28800, hst: -36000,
  jst: 32400, kst: 32400, awst: 28800, acst: 34200, aest: 36000, aedt: 39600, nzst: 43200, nzdt: 46800,
}

/**
 * PostgreSQL datetime input for the common forms: ISO 8601 (`T` or space, fractional seconds, `Z`/±hh[:mm[:ss]]
 * offsets), `YYYYMMDD[T]HHMMSS`, MDY/YMD with `-` or `/`, month and weekday names, AM/PM, BC, zone
 * abbreviations and IANA names, and the special words (now, today, epoch, infinity…).
 */
export function parseDateTime(text: string, kind: DtKind): unknown {
  const typeName = DT_ERROR_NAMES[kind]
  const bad = (): PgError => new PgError('22007', `invalid input syntax for type ${typeName}: "${text}"`)
  const overflow = (hint = false): PgError =>
    new PgError('22008', `date/time field value out of range: "${text}"`, undefined, hint ? 'Perhaps you need a different "datestyle" setting.' : undefined)
  const timeKind = kind === 'time' || kind === 'timetz'
  const s = cTrim(text).toLowerCase()
  if (s === '') throw bad()

  const special = specialDateTime(s, kind)
  if (special !== undefined) {
    if (special === null) throw bad()
    return special
  }

  const fields = readDateTimeFields(splitDateTimeTokens(s), bad, text)
  const { year, yearDigits, month, day, minute, second, fraction, hasTime, zone, meridiem, bc } = fields
  let { hour } = fields

  const hasDate = year !== undefined && month !== undefined && day !== undefined
  if ((year !== undefined || month !== undefined || day !== undefined) && !hasDate) throw bad()
  if (timeKind ? !hasTime : !hasDate) throw bad()

  let y = year ?? 1970
  const mo = month ?? 1
  const d = day ?? 1
  if (hasDate) {
    if (yearDigits <= 2 && !bc) y += y < 70 ? 2000 : 1900
    if (y === 0) throw overflow()
    if (bc) y = 1 - y
    if (mo < 1 || mo > 12 || d < 1 || d > 31) throw overflow(true)
    if (d > daysInMonth(y, mo)) throw overflow()
  }
  if (meridiem !== undefined) {
    if (hour > 12) throw overflow()
    if (meridiem === 'am' && hour === 12) hour = 0
    else if (meridiem === 'pm' && hour !== 12) hour += 12
  }
  const fracMicros = fraction === '' ? 0 : rint(Number(`0.${fraction}`) * 1e6)
  if (
    hour < 0 || hour > 24 || minute > 59 || second > 60 ||
    (hour === 24 && (minute > 0 || second > 0 || fracMicros > 0)) ||
    (second === 60 && fracMicros > 0)
  ) {
    throw overflow()
  }
  const microsOfDay = ((hour * 60 + minute) * 60 + second) * 1e6 + fracMicros

  if (kind === 'time') return microsOfDay
  const localDays = daysFromCivil(y, mo, d)
  const offsetOf = (localMillis: number): number => {
    if (zone === undefined) return 0
    if (typeof zone === 'number') return zone
    // Find the UTC instant whose local time in `zone` is the given wall time.
    const first = ianaOffset(zone, localMillis) ?? 0
    return ianaOffset(zone, localMillis - first * 1000) ?? first
  }
  if (kind === 'timetz') return { t: microsOfDay, z: offsetOf(Date.now()) } satisfies TimeTz
  if (kind === 'date') {
    if (localDays < MIN_DATE_DAYS || localDays > MAX_DATE_DAYS) throw new PgError('22008', `date out of range: "${text}"`)
    return localDays
  }
  let micros = BigInt(localDays) * BigInt(US_PER_DAY) + BigInt(microsOfDay)
  if (kind === 'timestamptz') {
    const offset = offsetOf(localDays * 86_400_000 + microsOfDay / 1000)
    micros -= BigInt(offset) * 1_000_000n
  }
  if (micros < MIN_TIMESTAMP || micros >= MAX_TIMESTAMP) throw new PgError('22008', `timestamp out of range: "${text}"`)
  const asNumber = Number(micros)
  return Number.isSafeInteger(asNumber) ? asNumber : micros
}

/**
 * Splits the lower-cased input into fields as PostgreSQL's field splitter does: on blanks and commas, then a
 * date glued to a time by `t`, digits followed by a `+` zone, and a time followed by a zone.
 */
function splitDateTimeTokens(s: string): string[] {
  const tokens: string[] = []
  for (let token of s.replace(/,/g, ' ').split(/[ \t\n\r\v\f]+/)) {
    if (token === '') continue
    const dateThenTime = /^(\d[\d/.-]*\d|\d+-[a-z]+-\d+)t(\d.*)$/.exec(token)
    if (dateThenTime) {
      tokens.push(dateThenTime[1] ?? '')
      token = dateThenTime[2] ?? ''
    }
    // A '+' always starts a new (zone) field after digits, as in PostgreSQL's field splitter.
    const plusZone = /^(\d+)(\+.*)$/.exec(token)
    if (plusZone) {
      tokens.push(plusZone[1] ?? '', plusZone[2] ?? '')
      continue
    }
    const timeThenZone =
      /^(\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?)([a-z+-].*)$/.exec(token) ??
      /^(\d{6}(?:\.\d*)?)([a-z]+|[+-]\d{1,2}(?::?\d\d){0,2})$/.exec(token)
    if (timeThenZone) tokens.push(timeThenZone[1] ?? '', timeThenZone[2] ?? '')
    else tokens.push(token)
  }

  return tokens
}

/** The fields a datetime string sets, as {@link readDateTimeFields} collects them from its tokens. */
interface DateTimeFields {
  year: number | undefined
  /** How many digits the year was written with (two-digit years are read as 1970–2069). */
  yearDigits: number
  month: number | undefined
  day: number | undefined
  hour: number
  minute: number
  second: number
  /** The digits after the seconds' decimal point. */
  fraction: string
  hasTime: boolean
  /** Seconds east of UTC, or an IANA zone name. */
  zone: number | string | undefined
  meridiem: 'am' | 'pm' | undefined
  bc: boolean
}

/** Assigns each token to a field, rejecting repeats; bare numbers are placed last, around a month name. */
function readDateTimeFields(tokens: readonly string[], bad: () => PgError, text: string): DateTimeFields {
  const fields: DateTimeFields = {
    year: undefined,
    yearDigits: 0,
    month: undefined,
    day: undefined,
    hour: 0,
    minute: 0,
    second: 0,
    fraction: '',
    hasTime: false,
    zone: undefined,
    meridiem: undefined,
    bc: false,
  }
  const setDate = (y: string, m: number, d: string): void => {
    if (fields.year !== undefined) throw bad()
    fields.year = Number(y)
    fields.yearDigits = y.length
    fields.month = m
    fields.day = Number(d)
  }
  const setTime = (h: string, mi: string, sec: string, frac: string): void => {
    if (fields.hasTime) throw bad()
    fields.hasTime = true
    fields.hour = Number(h)
    fields.minute = Number(mi)
    fields.second = Number(sec || '0')
    fields.fraction = frac
  }
  const loose: string[] = []
  for (const token of tokens) {
    let match: RegExpExecArray | null
    if ((match = /^(\d+)([-/.])(\d+)\2(\d+)$/.exec(token))) {
      const [, a = '', , b = '', c = ''] = match
      if (a.length >= 3) setDate(a, Number(b), c)
      else setDate(c, Number(a), b)
    } else if ((match = /^(\d+)-([a-z]+)-(\d+)$/.exec(token))) {
      const [, a = '', name = '', c = ''] = match
      const m = MONTHS[name]
      if (m === undefined) throw bad()
      if (a.length >= 3) setDate(a, m, c)
      else setDate(c, m, a)
    } else if (/^\d{6,}$/.test(token) && fields.year === undefined && fields.month === undefined) {
      // Concatenated date: the last two digits are the day, the two before the month, the rest the year.
      setDate(token.slice(0, -4), Number(token.slice(-4, -2)), token.slice(-2))
    } else if ((match = /^(\d\d)(\d\d)(\d\d)(?:\.(\d*))?$/.exec(token)) && fields.year !== undefined && !fields.hasTime) {
      setTime(match[1] ?? '', match[2] ?? '', match[3] ?? '', match[4] ?? '')
    } else if ((match = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?$/.exec(token))) {
      setTime(match[1] ?? '', match[2] ?? '', match[3] ?? '', match[4] ?? '')
    } else if (/^[+-]\d/.test(token)) {
      if (fields.zone !== undefined) throw bad()
      fields.zone = parseZoneOffset(token, bad, text)
    } else if (/^\d+$/.test(token)) {
      loose.push(token)
    } else if (MONTHS[token] !== undefined) {
      if (fields.month !== undefined) throw bad()
      fields.month = MONTHS[token]
    } else if (WEEKDAYS.has(token)) {
      // Weekday names are accepted and ignored.
    } else if (token === 'am' || token === 'pm') {
      fields.meridiem = token
    } else if (token === 'bc' || token === 'ad') {
      fields.bc = token === 'bc'
    } else if (ZONE_ABBREVIATIONS[token] !== undefined) {
      if (fields.zone !== undefined) throw bad()
      fields.zone = ZONE_ABBREVIATIONS[token]
    } else if (/^[a-z][a-z0-9_+-]*(?:\/[a-z0-9_+-]+)+$/.test(token)) {
      if (fields.zone !== undefined) throw bad()
      if (ianaOffset(token, 0) === undefined) throw new PgError('22023', `time zone "${token}" not recognized`)
      fields.zone = token
    } else {
      throw bad()
    }
  }
  for (const number of loose) {
    const { year, month, day } = fields
    if (month !== undefined && day === undefined && number.length <= 2 && year === undefined) fields.day = Number(number)
    else if (month !== undefined && year === undefined && (day !== undefined || number.length >= 3)) {
      fields.year = Number(number)
      fields.yearDigits = number.length
    } else if (month !== undefined && day === undefined) fields.day = Number(number)
    else throw bad()
  }
  return fields
}

/** `+05`, `-0800`, `+05:30`, `+05:30:15`: seconds east; PostgreSQL allows up to 15:59:59. */
function parseZoneOffset(token: string, bad: () => PgError, text: string): number {
  const match = /^([+-])(\d{1,2})(?::?(\d\d))?(?::?(\d\d))?$/.exec(token)
  if (!match) throw bad()
  const hours = Number(match[2])
  const minutes = Number(match[3] ?? '0')
  const seconds = Number(match[4] ?? '0')
  if (hours > 15 || minutes > 59 || seconds > 59) throw new PgError('22009', `time zone displacement out of range: "${text}"`)
  return (match[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60 + seconds)
}

/** The special inputs: a value, `null` when the word is not valid for the type, undefined when not special. */
function specialDateTime(s: string, kind: DtKind): unknown {
  const timeKind = kind === 'time' || kind === 'timetz'
  const nowMicros = Date.now() * 1000
  const today = Math.floor(nowMicros / US_PER_DAY)
  const midnight = (days: number): unknown => (kind === 'date' ? days : timeKind ? (kind === 'time' ? 0 : { t: 0, z: 0 }) : toMicros(days, 0))
  switch (s) {
    case 'infinity':
    case '+infinity':
      return timeKind ? null : Infinity
    case '-infinity':
      return timeKind ? null : -Infinity
    case 'epoch':
      return timeKind ? null : kind === 'date' ? 0 : 0
    case 'now': {
      if (kind === 'date') return today
      const tod = nowMicros - today * US_PER_DAY
      if (kind === 'time') return tod
      if (kind === 'timetz') return { t: tod, z: 0 }
      return nowMicros
    }
    case 'today':
      return midnight(today)
    case 'tomorrow':
      return midnight(today + 1)
    case 'yesterday':
      return midnight(today - 1)
    case 'allballs':
      return timeKind ? midnight(0) : null
    default:
      return undefined
  }
}
