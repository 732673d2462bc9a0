/** The date and time types: input through {@link parseDateTime}, fast paths for to_jsonb's own renderings. */

import { daysFromCivil, toMicros } from './calendar.js'
import { parseDateTime, type DtKind, type TimeTz } from './parseDateTime.js'
import { cmpNum, jsonbText, type Num, type TypeDef } from './TypeDef.js'

/**
 * A small memo of row text → value: one change is evaluated against every subscriber's filter, so the same
 * timestamp string is read many times in a row. Failures are not cached (they are rare and rethrown anyway).
 */
function memoized(read: (value: unknown) => unknown): (value: unknown) => unknown {
  const memo = new Map<string, unknown>()
  return (value) => {
    if (typeof value !== 'string') return read(value)
    const hit = memo.get(value)
    if (hit !== undefined) return hit
    const result = read(value)
    if (memo.size >= 256) memo.clear()
    memo.set(value, result)
    return result
  }
}

const VOLATILE_DATETIME = /^\s*(now|today|tomorrow|yesterday)\s*$/i

/** to_jsonb's own renderings, read without the general parser (this runs for every change). */
const ISO_TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d)(?::(\d\d))?)?)?( BC)?$/
const ISO_DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/

export function dateTimeType(kind: DtKind, regtype: string): TypeDef {
  const input = (text: string): unknown => parseDateTime(text, kind)
  const fromJson = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (kind === 'timestamp' || kind === 'timestamptz') {
        const m = ISO_TIMESTAMP.exec(value)
        if (m && (kind === 'timestamptz' || m[8] === undefined)) {
          let year = Number(m[1])
          if (m[12] !== undefined) year = 1 - year
          const days = daysFromCivil(year, Number(m[2]), Number(m[3]))
          const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'))
          let tod = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1e6 + fraction
          if (m[8] !== undefined) {
            const offset = (Number(m[9]) * 3600 + Number(m[10] ?? '0') * 60 + Number(m[11] ?? '0')) * (m[8] === '-' ? -1 : 1)
            tod -= offset * 1e6
          }
          return toMicros(days, tod)
        }
      } else if (kind === 'date') {
        const m = ISO_DATE.exec(value)
        if (m) return daysFromCivil(m[4] === undefined ? Number(m[1]) : 1 - Number(m[1]), Number(m[2]), Number(m[3]))
      }
    }
    return input(jsonbText(value))
  }
  const compare =
    kind === 'timetz'
      ? (a: unknown, b: unknown): number => {
          const x = a as TimeTz
          const y = b as TimeTz
          // Same instant in UTC first, then the zone (further west sorts later), as timetz_cmp does.
          return cmpNum(x.t - x.z * 1e6, y.t - y.z * 1e6) || cmpNum(-x.z, -y.z)
        }
      : (a: unknown, b: unknown): number => cmpNum(a as Num, b as Num)
  return {
    regtype,
    kind,
    input,
    volatile: (text) => VOLATILE_DATETIME.test(text),
    // 'now'-like row values cannot occur (to_jsonb prints instants), so memoizing is safe.
    fromJson: memoized(fromJson),
    compare,
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}
