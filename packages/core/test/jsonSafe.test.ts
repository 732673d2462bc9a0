/**
 * checkJsonSafe (values JSON cannot carry faithfully are named by path) and its use in a room handle's send():
 * no network, no timers.
 */
import { describe, expect, it } from 'vitest'
import { checkJsonSafe, SupasyncError } from '../src/index.js'
import type { Room } from '../src/Room.js'
import { RoomHandle } from '../src/RoomHandle.js'

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('checkJsonSafe', () => {
  it('accepts what JSON carries unchanged, Dates and other toJSON objects, and undefined properties', () => {
    const shared = { id: 1 }
    const value = {
      text: 'a',
      n: -0.5,
      ok: true,
      none: null,
      list: [1, 'two', [3], { four: 4 }],
      bare: Object.assign(Object.create(null) as object, { k: 1 }),
      when: new Date(0),
      url: new URL('https://example.com/a'),
      left: shared,
      right: shared, // shared, not circular
      optional: undefined,
    }
    expect(checkJsonSafe(value, 'payload')).toBeUndefined()
    expect(checkJsonSafe('x')).toBeUndefined()
    expect(checkJsonSafe([])).toBeUndefined()
  })

  it.each([
    ['a BigInt', { meta: { count: 1n } }, 'values.meta.count', /is a BigInt.*String\(value\)/],
    ['NaN', { a: [1, Number.NaN] }, 'values.a[1]', /is NaN.*null/],
    ['Infinity', { a: Infinity }, 'values.a', /is Infinity/],
    ['-Infinity', { a: -Infinity }, 'values.a', /is -Infinity/],
    ['a Map', { tags: new Map([['a', 1]]) }, 'values.tags', /is a Map.*Object\.fromEntries/],
    ['a Set', { tags: new Set([1]) }, 'values.tags', /is a Set.*\[\.\.\.set\]/],
    ['a function', { run: () => 1 }, 'values.run', /is a function/],
    ['a symbol', { s: Symbol('s') }, 'values.s', /is a symbol/],
    ['undefined in an array', { list: [1, undefined] }, 'values.list[1]', /undefined inside an array/],
    // eslint-disable-next-line no-sparse-arrays
    ['an array hole', { list: [1, , 3] }, 'values.list[1]', /undefined inside an array/],
    ['a class instance', { at: new Point(1, 2) }, 'values.at', /is a Point.*plain object/],
    ['a typed array', { bytes: new Uint8Array(2) }, 'values.bytes', /is a Uint8Array/],
    ['an invalid Date', { when: new Date('nope') }, 'values.when', /invalid Date/],
    ['a symbol key', { nested: { [Symbol('k')]: 1 } }, 'values.nested', /symbol key/],
    ['a key that is no identifier', { 'a b': { c: 2n } }, 'values["a b"].c', /BigInt/],
  ])('refuses %s, naming its path and the fix', (_label, value, path, message) => {
    const problem = checkJsonSafe(value, 'values')
    expect(problem?.path).toBe(path)
    expect(problem?.message.startsWith(`${path} is `)).toBe(true)
    expect(problem?.message).toMatch(message)
  })

  it('refuses a circular reference instead of looping, naming where it points', () => {
    const row: Record<string, unknown> = { id: 1 }
    row.self = { parent: row }
    expect(checkJsonSafe({ rows: [row] })).toMatchObject({ path: 'rows[0].self.parent', found: 'a circular reference to rows[0]' })
  })

  it('starts paths at the first key with an empty root and names a bad root "the value"', () => {
    expect(checkJsonSafe({ values: { n: 1n } })?.path).toBe('values.n')
    expect(checkJsonSafe(1n)?.message).toMatch(/^the value is a BigInt/)
    expect(checkJsonSafe(undefined)?.found).toBe('undefined')
  })

  it('checks what toJSON returns, as JSON.stringify writes that', () => {
    const custom = { toJSON: () => ({ inner: 5n }) }
    expect(checkJsonSafe({ custom })?.path).toBe('custom.inner')
  })

  it('is bounded: too deep or too many values is reported, not walked', () => {
    let deep: unknown = 'leaf'
    for (let level = 0; level < 10; level++) deep = { next: deep }
    expect(checkJsonSafe(deep, 'v', { maxDepth: 5 })?.found).toBe('nested deeper than 5 levels')
    expect(checkJsonSafe(deep, 'v', { maxDepth: 11 })).toBeUndefined()
    expect(checkJsonSafe(new Array(20).fill(1), 'v', { maxValues: 10 })?.found).toBe('beyond the first 10 values')
    // The default depth takes far more nesting than a payload has, without overflowing the stack.
    for (let level = 0; level < 200; level++) deep = [deep]
    expect(checkJsonSafe(deep)).toBeUndefined()
  })
})

describe('RoomHandle.send', () => {
  /** A Room double that records what reaches it (the real one encodes the payload and sends it). */
  function handle() {
    const sent: unknown[] = []
    const room = {
      topic: 'wedding:42',
      send: async (_event: string, payload: unknown) => {
        sent.push(payload)
        return 'ok' as const
      },
    } as unknown as Room
    return { handle: new RoomHandle(room, () => undefined), sent }
  }

  it('refuses a payload JSON cannot carry with UNSERIALIZABLE naming the path, and sends nothing', async () => {
    const { handle: room, sent } = handle()
    const bigint = await room.send('running-late', { vendor: 'photographer', minutes: 20n }).catch((error: unknown) => error)
    expect(bigint).toBeInstanceOf(SupasyncError)
    expect(bigint).toMatchObject({ code: 'UNSERIALIZABLE' })
    expect((bigint as Error).message).toMatch(/"running-late" on "wedding:42" was not sent: payload\.minutes is a BigInt/)
    await expect(room.send('tags', { tags: new Map([['a', 1]]) })).rejects.toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/payload\.tags is a Map/) })
    await expect(room.send('nan', Number.NaN)).rejects.toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/payload is NaN/) })
    expect(sent).toEqual([])
  })

  it('sends JSON-safe payloads (and an undefined payload) unchanged', async () => {
    const { handle: room, sent } = handle()
    const when = new Date(0)
    expect(await room.send('late', { minutes: 20, when })).toBe('ok')
    expect(await room.send('ping', undefined)).toBe('ok')
    expect(sent).toEqual([{ minutes: 20, when }, undefined])
  })
})
