import type { Cache, CacheEntry } from './Cache'
import { assertVersion } from './compareVersions'
import { corruptionReporter } from './corruptionReporter'
import { CacheClosedError, CacheVersionError, type CacheCorruptEntryError } from './errors'
import { DEFAULT_NAMESPACE, KeySpace } from './KeySpace'
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
  /**
   * The namespace the returned cache reads and writes (see `Cache.scoped`). The default namespace is stored as
   * `<prefix><key>` (as before namespaces existed), another as `<prefix>\u0001<encodeURIComponent(namespace)>\u0001<key>`.
   * Default `'default'`.
   */
  namespace?: string
  /**
   * Receives a `CacheCorruptEntryError` once per Redis key (per cache instance) whose value this adapter cannot
   * decode; that key reads as a miss, is left in Redis (deleting it after the read could delete a good value another
   * process wrote in between), and its next write replaces it. Default: `console.warn`.
   */
  onError?: (error: CacheCorruptEntryError) => void
}

/** Default of `RedisCacheOptions.prefix`. */
export const DEFAULT_REDIS_PREFIX = 'supasync:cache:'

/** Entries per EVALSHA / MGET / UNLINK, so one call never blocks Redis for long. */
const CHUNK = 1000

/**
 * A server-side cache in Redis, shared by every Node process that uses the same Redis and `prefix`. Each key is
 * one Redis string `<JSON version>\n<JSON value>`. Reads are `MGET`; writes go through a Lua script, so the
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
  const adapter = `redisCache "${prefix}"`
  const stats = new StatsCounter()
  const corrupt = corruptionReporter(adapter, options.onError)
  let closed = false

  /** The stored entry, or undefined for a missing key and (reported) for a value this adapter cannot decode. */
  const decode = (key: string, redisKey: string, payload: unknown): CacheEntry<V> | undefined => {
    if (payload === null || payload === undefined) {
      stats.misses++
      return undefined
    }
    const text = String(payload)
    const nl = text.indexOf('\n')
    try {
      if (nl < 0) throw new SyntaxError('no version line')
      const version: unknown = JSON.parse(text.slice(0, nl))
      assertVersion(version, key)
      const value = JSON.parse(text.slice(nl + 1)) as V
      stats.hits++
      return { key, version, value }
    } catch (cause) {
      corrupt(redisKey, cause)
      stats.misses++
      return undefined
    }
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

  const view = (space: KeySpace, owner: boolean): Cache<V> => {
    let viewClosed = false
    const open = (): void => {
      if (closed || viewClosed) {
        throw new CacheClosedError(space.namespace === DEFAULT_NAMESPACE ? adapter : `${adapter} namespace "${space.namespace}"`)
      }
    }
    const redisKey = (key: string): string => prefix + space.storageKey(key)

    const writeChunk = async (entries: readonly CacheEntry<V>[]): Promise<boolean[]> => {
      const payloads = entries.map(encode)
      const reply = await runScript(entries.map((e) => redisKey(e.key)), payloads)
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

    // MGET for one key too: it answers nil for a key of another Redis type, where GET fails with WRONGTYPE.
    const readChunk = async (keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>> => {
      const redisKeys = keys.map(redisKey)
      const reply = await redisCommand(client, ['MGET', ...redisKeys])
      if (!Array.isArray(reply)) throw new Error(`redisCache: unexpected MGET reply: ${String(reply)}`)
      return keys.map((key, i) => decode(key, redisKeys[i] as string, reply[i]))
    }

    return {
      namespace: space.namespace,
      scoped(namespace) {
        // No open() check: a view of a closed cache is harmless, its calls reject with CacheClosedError.
        return view(new KeySpace(namespace, 'redisCache'), false)
      },
      async get(key) {
        open()
        return (await readChunk([key]))[0]
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
        for (const entry of entries) {
          assertVersion(entry.version, entry.key) // before any chunk is written
          space.checkKey(entry.key)
        }
        const out: boolean[] = []
        for (let i = 0; i < entries.length; i += CHUNK) out.push(...(await writeChunk(entries.slice(i, i + CHUNK))))
        return out
      },
      async delete(key) {
        open()
        await redisCommand(client, ['UNLINK', redisKey(key)])
      },
      async clear() {
        open()
        // A namespace's keys share the prefix + namespace head; the default namespace's head is empty, so its SCAN also
        // meets the other namespaces' keys, which it skips.
        const match = `${(prefix + space.head).replace(/[*?[\]\\]/g, '\\$&')}*`
        let cursor = '0'
        do {
          const reply = await redisCommand(client, ['SCAN', cursor, 'MATCH', match, 'COUNT', String(CHUNK)])
          if (!Array.isArray(reply) || reply.length < 2) throw new Error(`redisCache: unexpected SCAN reply: ${String(reply)}`)
          cursor = String(reply[0])
          const keys = (reply[1] as unknown[]).map(String).filter((key) => space.owns(key.slice(prefix.length)))
          if (keys.length > 0) await redisCommand(client, ['UNLINK', ...keys])
        } while (cursor !== '0')
      },
      stats() {
        return stats.snapshot()
      },
      async close() {
        viewClosed = true
        if (owner) closed = true
      },
    }
  }

  return view(new KeySpace(options.namespace ?? DEFAULT_NAMESPACE, 'redisCache'), true)
}
