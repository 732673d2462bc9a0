/** The `json` and `jsonb` types: jsonb's value order, and json's lack of comparison operators. */

import { cmpText } from './cText.js'
import { parseJson } from './parseJson.js'
import { cmpNum, jsonbKeyOrder, type Num, type TypeDef } from './TypeDef.js'

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function jsonbRank(value: unknown): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'string') return 1
  if (typeof value === 'number' || typeof value === 'bigint') return 2
  if (typeof value === 'boolean') return 3
  return Array.isArray(value) ? 4 : 5
}

/** compareJsonbContainers on nested values: type rank, then arrays by length, objects by pair count, then content. */
function cmpJsonbValue(a: unknown, b: unknown): number {
  const ra = jsonbRank(a)
  const rb = jsonbRank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case 0:
      return 0
    case 1:
      return cmpText(a as string, b as string)
    case 2:
      return cmpNum(a as Num, b as Num)
    case 3:
      return Number(a) - Number(b)
    case 4: {
      const x = a as unknown[]
      const y = b as unknown[]
      if (x.length !== y.length) return x.length - y.length
      for (let i = 0; i < x.length; i++) {
        const result = cmpJsonbValue(x[i], y[i])
        if (result !== 0) return result
      }
      return 0
    }
    default:
      return cmpJsonbObject(a as Record<string, unknown>, b as Record<string, unknown>)
  }
}

function cmpJsonbObject(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(jsonbKeyOrder)
  const kb = Object.keys(b).sort(jsonbKeyOrder)
  if (ka.length !== kb.length) return ka.length - kb.length
  for (let i = 0; i < ka.length; i++) {
    const keyA = ka[i] ?? ''
    const keyB = kb[i] ?? ''
    const byKey = cmpText(keyA, keyB)
    if (byKey !== 0) return byKey
    const byValue = cmpJsonbValue(a[keyA], b[keyB])
    if (byValue !== 0) return byValue
  }
  return 0
}

/**
 * Top level: a scalar is a one-element "raw scalar" array. PostgreSQL ranks it below a real array, but then
 * lets element counts override that, so `[]` sorts below every scalar (even null) — reproduced here.
 */
function cmpJsonb(a: unknown, b: unknown): number {
  const objectA = isJsonObject(a)
  const objectB = isJsonObject(b)
  if (objectA || objectB) return objectA && objectB ? cmpJsonbObject(a, b) : objectA ? 1 : -1
  const itemsA = Array.isArray(a) ? a : [a]
  const itemsB = Array.isArray(b) ? b : [b]
  let result = 0
  if (Array.isArray(a) !== Array.isArray(b)) result = Array.isArray(a) ? 1 : -1
  if (itemsA.length !== itemsB.length) result = itemsA.length > itemsB.length ? 1 : -1
  if (result !== 0) return result
  for (let i = 0; i < itemsA.length; i++) {
    const element = cmpJsonbValue(itemsA[i], itemsB[i])
    if (element !== 0) return element
  }
  return 0
}

export function jsonType(binary: boolean): TypeDef {
  return {
    regtype: binary ? 'jsonb' : 'json',
    kind: binary ? 'jsonb' : 'json',
    input: parseJson,
    // `#>> '{}'` unwraps a JSON string, which must then parse as JSON again (it rarely does).
    fromJson: (value) => (typeof value === 'string' ? parseJson(value) : value),
    compare: cmpJsonb,
    hasEquality: binary,
    hasOrdering: binary,
    likeable: false,
    regexable: false,
  }
}
