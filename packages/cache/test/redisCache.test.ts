import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import { CacheCorruptEntryError, memoryCache, redisCache, tieredCache } from '../src/index'
import { runCacheContract } from './contract'
import { connectIoRedis, connectNodeRedis, keysUnder, uniquePrefix, type NodeRedis } from './redisHelpers'

let nodeRedis: NodeRedis
let ioRedis: ReturnType<typeof connectIoRedis>
const prefixes: string[] = []
const prefix = (): string => {
  const p = uniquePrefix()
  prefixes.push(p)
  return p
}

beforeAll(async () => {
  nodeRedis = await connectNodeRedis()
  ioRedis = connectIoRedis()
})

afterAll(async () => {
  for (const p of prefixes) {
    const left = await keysUnder(nodeRedis, p)
    if (left.length > 0) await nodeRedis.unlink(left)
  }
  await nodeRedis.quit()
  await ioRedis.quit()
})

const noKeysLeft = async (): Promise<void> => {
  const last = prefixes.at(-1)
  if (last !== undefined) expect(await keysUnder(nodeRedis, last)).toEqual([])
}

runCacheContract('redisCache (node-redis 6)', () => redisCache({ client: nodeRedis, prefix: prefix() }), {
  checkTimers: false,
  afterEach: noKeysLeft,
})
runCacheContract('redisCache (ioredis 6)', () => redisCache({ client: ioRedis, prefix: prefix() }), {
  checkTimers: false,
  afterEach: noKeysLeft,
})
runCacheContract('tieredCache(memoryCache, redisCache)', () =>
  tieredCache(memoryCache({ maxEntries: 20_000 }), redisCache({ client: nodeRedis, prefix: prefix() })),
  { checkTimers: false, afterEach: noKeysLeft },
)

describe('redisCache', () => {
  it('is shared by two instances over two separate connections (two processes)', async () => {
    const p = prefix()
    const second = await connectNodeRedis()
    try {
      const a = redisCache<{ step: string }>({ client: nodeRedis, prefix: p })
      const b = redisCache<{ step: string }>({ client: second, prefix: p })
      await a.set({ key: 'component:1', version: 100, value: { step: 'welded' } })
      expect(await b.get('component:1')).toEqual({ key: 'component:1', version: 100, value: { step: 'welded' } })
      expect(await b.set({ key: 'component:1', version: 99, value: { step: 'stale' } })).toBe(false)

      // Both write the same keys concurrently with interleaved versions: the newest wins everywhere.
      const writes = []
      for (let v = 101; v <= 140; v++) {
        const writer = v % 2 === 0 ? a : b
        writes.push(writer.set({ key: 'component:1', version: v, value: { step: `v${v}` } }))
        writes.push(writer.setMany([{ key: 'component:2', version: 240 - v, value: { step: `w${240 - v}` } }]))
      }
      await Promise.all(writes)
      expect((await a.getMany(['component:1', 'component:2'])).map((e) => e?.version)).toEqual([140, 139])
      expect(a.stats().sets + b.stats().sets + a.stats().skippedStale + b.stats().skippedStale).toBe(82)
      await a.clear()
      expect(await keysUnder(nodeRedis, p)).toEqual([])
    } finally {
      await second.quit()
    }
  })

  it('sets a TTL on written keys when ttlSeconds is given', async () => {
    const p = prefix()
    const cache = redisCache({ client: nodeRedis, prefix: p, ttlSeconds: 60 })
    await cache.set({ key: 't', version: 1, value: 1 })
    const ttl = await nodeRedis.ttl(`${p}t`)
    expect(ttl).toBeGreaterThan(50)
    expect(ttl).toBeLessThanOrEqual(60)
    await cache.clear()
  })

  it('clear() deletes its own prefix only', async () => {
    const mine = redisCache({ client: nodeRedis, prefix: prefix() })
    const other = redisCache({ client: nodeRedis, prefix: prefix() })
    await mine.set({ key: 'k', version: 1, value: 'mine' })
    await other.set({ key: 'k', version: 1, value: 'other' })
    await mine.clear()
    expect(await mine.get('k')).toBeUndefined()
    expect((await other.get('k'))?.value).toBe('other')
    await other.clear()
  })

  it('falls back to EVAL when Redis answers NOSCRIPT (restarted or flushed script cache)', async () => {
    // The shared Redis must not be SCRIPT FLUSHed, so the client answers NOSCRIPT to every EVALSHA instead.
    const commands: string[] = []
    const client = {
      sendCommand(args: string[]): Promise<unknown> {
        commands.push(args[0] ?? '')
        if (args[0] === 'EVALSHA') return Promise.reject(new Error('NOSCRIPT No matching script. Please use EVAL.'))
        return nodeRedis.sendCommand(args)
      },
    }
    const cache = redisCache({ client, prefix: prefix() })
    expect(await cache.set({ key: 'a', version: 2, value: 2 })).toBe(true)
    expect(await cache.set({ key: 'a', version: 1, value: 1 })).toBe(false)
    expect((await cache.get('a'))?.value).toBe(2)
    expect(commands.filter((c) => c === 'EVAL')).toHaveLength(2)
    await cache.clear()
  })

  it('reads a value it cannot decode as a miss, reports it once, returns the good keys and overwrites it on the next write', async () => {
    const p = prefix()
    const reported: CacheCorruptEntryError[] = []
    const cache = redisCache<string>({ client: nodeRedis, prefix: p, onError: (error) => reported.push(error) })
    await cache.setMany(['a', 'b', 'c', 'd'].map((key) => ({ key, version: 2, value: key.toUpperCase() })))
    await nodeRedis.set(`${p}b`, '{not json\n"B"') // a version line that is not JSON
    await nodeRedis.set(`${p}c`, 'garbage without a version line')
    await nodeRedis.set(`${p}d`, '2\n{"truncated":') // a value that is not JSON
    expect((await cache.getMany(['a', 'b', 'c', 'd'])).map((e) => e?.value)).toEqual(['A', undefined, undefined, undefined])
    expect(await cache.get('b')).toBeUndefined()
    expect(reported.map((e) => e.storageKey).sort()).toEqual([`${p}b`, `${p}c`, `${p}d`]) // once per key
    expect(reported[0]).toBeInstanceOf(CacheCorruptEntryError)
    expect(reported[0]!.message).toMatch(/read as a miss/)
    expect(await nodeRedis.get(`${p}c`)).toBe('garbage without a version line') // left for whoever wrote it
    // The write script treats it as absent, whatever version comes.
    expect(await cache.setMany([
      { key: 'b', version: 1, value: 'B1' },
      { key: 'c', version: 1, value: 'C1' },
    ])).toEqual([true, true])
    expect((await cache.getMany(['b', 'c'])).map((e) => e?.value)).toEqual(['B1', 'C1'])
    await cache.clear()
  })

  it('reads a key holding another Redis type as a miss (get and getMany alike)', async () => {
    const p = prefix()
    const cache = redisCache<string>({ client: nodeRedis, prefix: p })
    await cache.set({ key: 'ok', version: 1, value: 'fine' })
    await nodeRedis.hSet(`${p}hash`, 'field', 'value')
    expect(await cache.get('hash')).toBeUndefined()
    expect((await cache.getMany(['ok', 'hash'])).map((e) => e?.value)).toEqual(['fine', undefined])
    await cache.clear()
  })

  it('reads keys written before namespaces (plain <prefix><key>) as the default namespace only', async () => {
    const p = prefix()
    await nodeRedis.set(`${p}legacy`, '7\n{"old":true}')
    const cache = redisCache({ client: nodeRedis, prefix: p })
    expect(await cache.get('legacy')).toEqual({ key: 'legacy', version: 7, value: { old: true } })
    expect(await cache.scoped('alice').get('legacy')).toBeUndefined()
    await cache.scoped('alice').set({ key: 'k', version: 1, value: 1 })
    expect(await keysUnder(nodeRedis, p)).toContain(`${p}\u0001alice\u0001k`)
    await cache.clear()
    expect(await keysUnder(nodeRedis, p)).toEqual([`${p}\u0001alice\u0001k`])
    await cache.scoped('alice').clear()
  })

  it('says how to fix a client that is not connected', async () => {
    const client = createClient({ url: 'redis://127.0.0.1:6379' })
    const cache = redisCache({ client, prefix: prefix() })
    await expect(cache.get('a')).rejects.toThrow(/not connected.*client\.connect\(\)/)
  })

  it('rejects a bad ttlSeconds and a non-client', () => {
    expect(() => redisCache({ client: nodeRedis, ttlSeconds: 1.5 })).toThrow(/ttlSeconds/)
    // @ts-expect-error: a wrong client is a runtime error with a fix
    expect(() => redisCache({ client: null })).toThrow(/connected client/)
  })
})

describe('tieredCache', () => {
  it('reads through to l2, fills l1, and reports stats per layer', async () => {
    const l1 = memoryCache<string>()
    const l2 = redisCache<string>({ client: nodeRedis, prefix: prefix() })
    await l2.set({ key: 'x', version: 1, value: 'from l2' })
    const cache = tieredCache(l1, l2)
    expect((await cache.get('x'))?.value).toBe('from l2')
    expect(l1.getSync('x')?.value).toBe('from l2')
    expect((await cache.get('x'))?.value).toBe('from l2')
    expect(await cache.get('nope')).toBeUndefined()
    const stats = cache.stats()
    expect(stats).toMatchObject({ hits: 2, misses: 1 })
    expect(stats.layers?.l1).toMatchObject({ hits: 2, misses: 2 })
    expect(stats.layers?.l2).toMatchObject({ hits: 1, misses: 1 })
    await cache.clear()
    await cache.close()
  })

  it('drops the l1 copy when l2 holds a newer version (written by another process)', async () => {
    const p = prefix()
    const l1 = memoryCache<string>()
    const cache = tieredCache(l1, redisCache<string>({ client: nodeRedis, prefix: p }))
    await cache.set({ key: 'y', version: 1, value: 'old' })
    const elsewhere = redisCache<string>({ client: ioRedis, prefix: p })
    await elsewhere.set({ key: 'y', version: 5, value: 'newer elsewhere' })
    expect(await cache.set({ key: 'y', version: 2, value: 'stale here' })).toBe(false)
    expect(l1.getSync('y')).toBeUndefined()
    expect((await cache.get('y'))?.value).toBe('newer elsewhere')
    await cache.clear()
    await cache.close()
  })
})
