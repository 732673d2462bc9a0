import type { Cache, CacheEntry } from './Cache'
import { assertVersion } from './compareVersions'
import { CacheClosedError, CacheVersionError } from './errors'
import { redisCommand, type RedisClientLike } from './RedisClientLike'
import { SET_SCRIPT, SET_SCRIPT_SHA1 } from './setScript'
import { StatsCounter } from './StatsCounter'

/** Options of `redisCache`. */
export interface RedisCacheOptions {
  /**
   * A connected client, owned by you (the cache never quits it): node-redis `await createClient({ url }).connect()`
   * or ioredis `new Redis(url)`. Several processes pointing at the same Redis and prefix share the cache.
   */
  client: RedisClientLike
  /**
   * Prepended to every key, so several apps or tests share one Redis without colliding; `clear()` deletes the keys
   * under it only. Default `'supasync:cache:'`.
   */
  prefix?: string
  /** Expiry of each written entry, in seconds (refreshed on every applied write). Default: none (keys never expire). */
  ttlSeconds?: number
}

/** Default of `RedisCacheOptions.prefix`. */
export const DEFAULT_REDIS_PREFIX = 'supasync:cache:'

/** Entries per EVALSHA / MGET / UNLINK, so one call never blocks Redis for long. */
const CHUNK = 1000

/**
 * A server-side cache in Redis, shared by every Node process that uses the same Redis and `prefix`. Each key is
 * one Redis string `<JSON version>\n<JSON value>`. Reads are `GET`/`MGET`; writes go through a Lua script, so the
 * version rule is atomic in Redis even when processes write the same key concurrently. Stats count this adapter
 * instance's calls; `entries` is not reported (it would need a SCAN).
 */
export function redisCache<V = unknown>(options: RedisCacheOptions): Cache<V> {
  const { client } = options
  if (client === null || typeof client !== 'object') {
    throw new TypeError('redisCache: pass a connected client, e.g. redisCache({ client: await createClient().connect() })')
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX
  const ttl = options.ttlSeconds ?? 0
  if (!Number.isInteger(ttl) || ttl < 0) {
    throw new RangeError(`redisCache: ttlSeconds must be a whole number of seconds ≥ 0 (got ${String(options.ttlSeconds)}); omit it for no expiry`)
  }
  const stats = new StatsCounter()
  let closed = false

  const open = (): void => {
    if (closed) throw new CacheClosedError(`redisCache "${prefix}"`)
  }

  const decode = (key: string, payload: unknown): CacheEntry<V> | undefined => {
    if (payload === null || payload === undefined) {
      stats.misses++
      return undefined
    }
    const text = String(payload)
    const nl = text.indexOf('\n')
    if (nl < 0) {
      stats.misses++
      return undefined // not written by this adapter: treat as absent
    }
    stats.hits++
    return { key, version: JSON.parse(text.slice(0, nl)), value: JSON.parse(text.slice(nl + 1)) as V }
  }

  const encode = (entry: CacheEntry<V>): string => {
    assertVersion(entry.version, entry.key)
    const value = JSON.stringify(entry.value)
    if (value === undefined) {
      throw new TypeError(`redisCache: the value for key "${entry.key}" is not JSON-serialisable (undefined or a function); store null instead`)
    }
    return `${JSON.stringify(entry.version)}\n${value}`
  }

  const runScript = async (keys: string[], args: string[]): Promise<unknown> => {
    const tail = [String(keys.length), ...keys, String(ttl), ...args]
    try {
      return await redisCommand(client, ['EVALSHA', SET_SCRIPT_SHA1, ...tail])
    } catch (error) {
      if (!String((error as Error)?.message ?? error).includes('NOSCRIPT')) throw error
      return redisCommand(client, ['EVAL', SET_SCRIPT, ...tail])
    }
  }

  const writeChunk = async (entries: readonly CacheEntry<V>[]): Promise<boolean[]> => {
    const payloads = entries.map(encode)
    const reply = await runScript(entries.map((e) => prefix + e.key), payloads)
    if (!Array.isArray(reply)) throw new Error(`redisCache: unexpected reply from the write script: ${String(reply)}`)
    const mismatch: string[] = []
    const results = entries.map((entry, i) => {
      const code = Number(reply[i])
      if (code === -1) mismatch.push(entry.key)
      const applied = code === 1
      stats.written(applied)
      return applied
    })
    if (mismatch.length > 0) {
      throw new CacheVersionError(
        `Version types differ for key(s) ${mismatch.slice(0, 5).map((k) => `"${k}"`).join(', ')} (number vs string): ` +
          'use one version type per cache, or clear() the cache after changing it',
      )
    }
    return results
  }

  const readChunk = async (keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>> => {
    const reply = await redisCommand(client, ['MGET', ...keys.map((k) => prefix + k)])
    if (!Array.isArray(reply)) throw new Error(`redisCache: unexpected MGET reply: ${String(reply)}`)
    return keys.map((key, i) => decode(key, reply[i]))
  }

  return {
    async get(key) {
      open()
      return decode(key, await redisCommand(client, ['GET', prefix + key]))
    },
    async getMany(keys) {
      open()
      const out: Array<CacheEntry<V> | undefined> = []
      for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await readChunk(keys.slice(i, i + CHUNK))))
      return out
    },
    async set(entry) {
      open()
      const [applied] = await writeChunk([entry])
      return applied ?? false
    },
    async setMany(entries) {
      open()
      for (const entry of entries) assertVersion(entry.version, entry.key) // before any chunk is written
      const out: boolean[] = []
      for (let i = 0; i < entries.length; i += CHUNK) out.push(...(await writeChunk(entries.slice(i, i + CHUNK))))
      return out
    },
    async delete(key) {
      open()
      await redisCommand(client, ['UNLINK', prefix + key])
    },
    async clear() {
      open()
      const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
      let cursor = '0'
      do {
        const reply = await redisCommand(client, ['SCAN', cursor, 'MATCH', match, 'COUNT', String(CHUNK)])
        if (!Array.isArray(reply) || reply.length < 2) throw new Error(`redisCache: unexpected SCAN reply: ${String(reply)}`)
        cursor = String(reply[0])
        const keys = (reply[1] as unknown[]).map(String)
        if (keys.length > 0) await redisCommand(client, ['UNLINK', ...keys])
      } while (cursor !== '0')
    },
    stats() {
      return stats.snapshot()
    },
    async close() {
      closed = true
    },
  }
}
