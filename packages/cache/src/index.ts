/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/cache
 */
export type { Cache, CacheEntry, CacheStats, CacheVersion } from './Cache'
export { compareVersions } from './compareVersions'
export { CacheClosedError, CacheCorruptEntryError, CacheVersionError } from './errors'
export { DEFAULT_NAMESPACE } from './KeySpace'
export { memoryCache, DEFAULT_MAX_ENTRIES, type MemoryCache, type MemoryCacheOptions } from './memoryCache'
export { indexedDbCache, type IndexedDbCacheOptions } from './indexedDbCache'
export { redisCache, DEFAULT_REDIS_PREFIX, type RedisCacheOptions } from './redisCache'
export type { IoRedisClientLike, NodeRedisClientLike, RedisClientLike } from './RedisClientLike'
export { tieredCache } from './tieredCache'
