import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import { indexedDbCache, memoryCache, tieredCache } from '../src/index'
import { runCacheContract } from './contract'

runCacheContract('tieredCache(memoryCache, memoryCache)', () => tieredCache(memoryCache(), memoryCache()))
runCacheContract('tieredCache(memoryCache, indexedDbCache)', () =>
  tieredCache(memoryCache(), indexedDbCache({ name: `tiered-${randomUUID()}` })),
)
