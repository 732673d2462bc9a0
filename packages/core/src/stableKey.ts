/** Objects that are not plain data (a client, a cache, a function) → a number that names that instance. */
const identities = new WeakMap<object, number>()
let nextIdentity = 0

function identityOf(value: object): number {
  let id = identities.get(value)
  if (id === undefined) identities.set(value, (id = ++nextIdentity))
  return id
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function encode(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      // NaN and ±Infinity are distinct values here (JSON would call all three null); -0 is 0.
      return Number.isFinite(value) ? String(value === 0 ? 0 : value) : `#${String(value)}`
    case 'boolean':
      return String(value)
    case 'undefined':
      return 'u'
    case 'bigint':
      return `${value}n`
    case 'function':
    case 'symbol':
      return `&${typeof value === 'symbol' ? String(value) : identityOf(value)}`
  }
  if (value === null) return 'null'
  const object = value as object
  if (seen.has(object)) return `&${identityOf(object)}`
  if (Array.isArray(object)) {
    seen.add(object)
    const out = `[${object.map((item) => encode(item, seen)).join(',')}]`
    seen.delete(object)
    return out
  }
  if (object instanceof Date) return `d${object.getTime()}`
  if (!isPlain(object)) return `&${identityOf(object)}`
  seen.add(object)
  const keys = Object.keys(object)
    .filter((key) => (object as Record<string, unknown>)[key] !== undefined)
    .sort()
  const out = `{${keys.map((key) => `${JSON.stringify(key)}:${encode((object as Record<string, unknown>)[key], seen)}`).join(',')}}`
  seen.delete(object)
  return out
}

/**
 * A string that is equal for equal values: the identity of a subscription by value, not by object, so an inline
 * `{ table, filter }` written anew on every render (React) or by a template (Vue) keeps its lease and a changed one
 * switches leases. Plain objects compare by content with keys in any order (a key holding `undefined` counts as
 * absent); arrays in order; anything else (a supabase client, a cache, a function, a class instance) by identity.
 *
 * ```ts
 * stableKey({ table: 'a', filter: { x: 1 } }) === stableKey({ filter: { x: 1 }, table: 'a' }) // true
 * ```
 */
export function stableKey(value: unknown): string {
  return encode(value, new Set())
}
