/** What {@link checkJsonSafe} found: the first value JSON cannot carry faithfully. */
export interface JsonSafeProblem {
  /** Where the value is, from the root name given: `values.meta.count`, `rows[2].tags[0]`, `payload["a b"]`. */
  path: string
  /** What it is, as a noun phrase: `a BigInt`, `NaN`, `a Map`, `a circular reference to values`. */
  found: string
  /** How to fix it, as a sentence. */
  fix: string
  /** `<path> is <found>: JSON cannot carry it faithfully. <fix>` — ready to put in an error message. */
  message: string
}

/** Limits that keep one check bounded in time and stack, whatever the caller passes. */
export interface JsonSafeLimits {
  /** Deepest nesting of objects/arrays walked. Default 256 levels; deeper is reported as a problem. */
  maxDepth?: number
  /** Most values (objects, arrays and leaves together) walked. Default 1 000 000; more is reported as a problem. */
  maxValues?: number
}

const DEFAULT_MAX_DEPTH = 256
const DEFAULT_MAX_VALUES = 1_000_000
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const member = (path: string, key: string) => (IDENTIFIER.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`)

/** `a Map`, `an Uint8Array`, `a Foo instance`: the name of what a non-plain object is. */
function kindOf(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  if (typeof name !== 'string' || name === '') return 'an object with a custom prototype'
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`
}

/**
 * Finds the first value in `value` that `JSON.stringify` would drop, turn into `null`/`{}`, throw on, or loop on,
 * so callers can refuse it with a message naming its path instead of storing or sending something else. One walk,
 * no stringify round trip; returns `undefined` when the value survives JSON unchanged.
 *
 * Refused: BigInt; NaN, Infinity, -Infinity (JSON writes `null`); functions and symbols (dropped, or `null` in
 * arrays); `undefined` as the root or inside an array (`null`), array holes; Map, Set, class instances and every
 * other object whose prototype is neither `Object.prototype`, `null` nor `Array.prototype` (written as `{}` or
 * their enumerable fields only); symbol keys (dropped); circular references (JSON throws); invalid Dates (`null`).
 *
 * Accepted: plain objects, arrays, strings, finite numbers, booleans, null; a property whose value is `undefined`
 * (JSON leaves it out, which reads back the same: the property is absent); objects with a `toJSON()` method —
 * Date (an ISO string on the other side), URL, Buffer — which serialize deterministically: their `toJSON()` result
 * is what gets checked, as JSON.stringify would use it.
 *
 * Bounded by `limits` (depth 256, 1 000 000 values by default): beyond them it reports a problem rather than walk on.
 *
 * @param value what will be JSON-encoded
 * @param root the name the path starts with (`'payload'`, `'state'`); `''` starts paths at the first key
 */
export function checkJsonSafe(value: unknown, root = '', limits: JsonSafeLimits = {}): JsonSafeProblem | undefined {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH
  const maxValues = limits.maxValues ?? DEFAULT_MAX_VALUES
  // Objects on the path from the root to the current value: meeting one again is a cycle. A value shared by two
  // branches (no cycle) is fine: JSON writes it twice.
  const ancestors = new Map<object, string>()
  let seen = 0

  const problem = (path: string, found: string, fix: string): JsonSafeProblem => {
    const where = path === '' ? 'the value' : path
    return { path: where, found, fix, message: `${where} is ${found}: JSON cannot carry it faithfully. ${fix}` }
  }

  const walk = (current: unknown, path: string, key: string, depth: number, inArray: boolean): JsonSafeProblem | undefined => {
    if (++seen > maxValues) return problem(path, `beyond the first ${maxValues} values`, `Send or store less at once (the check stops after ${maxValues} values).`)
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return undefined
      case 'number':
        if (Number.isFinite(current)) return undefined
        return problem(path, String(current), 'JSON writes it as null. Use null, or a string such as "Infinity", instead.')
      case 'bigint':
        return problem(path, 'a BigInt', 'Convert it first: String(value) keeps every digit (Postgres casts the text to bigint/numeric); Number(value) is exact only up to 2^53.')
      case 'undefined':
        if (!inArray && depth > 0) return undefined
        return problem(path, inArray ? 'undefined inside an array (or a hole)' : 'undefined', 'JSON writes it as null or leaves it out. Use null instead.')
      case 'function':
        return problem(path, 'a function', 'JSON drops functions. Pass data only.')
      case 'symbol':
        return problem(path, 'a symbol', 'JSON drops symbols. Use a string instead.')
    }
    if (current === null) return undefined
    const object = current as object
    const cycle = ancestors.get(object)
    if (cycle !== undefined) return problem(path, `a circular reference to ${cycle === '' ? 'the value itself' : cycle}`, 'JSON cannot encode cycles. Pass a copy without the back-reference (an id instead of the object).')
    if (depth >= maxDepth) return problem(path, `nested deeper than ${maxDepth} levels`, 'Flatten the value (the check stops at this depth).')
    const toJSON = (object as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      if (object instanceof Date && Number.isNaN(object.getTime())) return problem(path, 'an invalid Date', 'JSON writes it as null. Check where the date was parsed.')
      ancestors.set(object, path)
      // JSON.stringify calls toJSON with the property name; the result is what is written, so that is what counts.
      const found = walk(toJSON.call(object, key), path, key, depth + 1, inArray)
      ancestors.delete(object)
      return found
    }
    if (Array.isArray(object)) {
      ancestors.set(object, path)
      for (let index = 0; index < object.length; index++) {
        const found = walk(object[index], `${path}[${index}]`, String(index), depth + 1, true)
        if (found) return found
      }
      ancestors.delete(object)
      return undefined
    }
    const prototype = Object.getPrototypeOf(object)
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = kindOf(object)
      const fix =
        object instanceof Map
          ? 'Convert it first: Object.fromEntries(map) for string keys, or [...map] for a list of pairs.'
          : object instanceof Set
            ? 'Convert it first: [...set].'
            : 'JSON keeps only its own enumerable fields and loses its class. Pass a plain object ({ ...value } or the fields you need), or give the class a toJSON() method.'
      return problem(path, kind, fix)
    }
    if (Object.getOwnPropertySymbols(object).some((symbol) => Object.prototype.propertyIsEnumerable.call(object, symbol))) {
      return problem(path, 'an object with a symbol key', 'JSON drops symbol keys. Use string keys.')
    }
    ancestors.set(object, path)
    for (const name of Object.keys(object)) {
      const found = walk((object as Record<string, unknown>)[name], member(path, name), name, depth + 1, false)
      if (found) return found
    }
    ancestors.delete(object)
    return undefined
  }

  return walk(value, root, '', 0, false)
}
