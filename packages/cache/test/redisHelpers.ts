import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createClient } from 'redis'

/** The shared Redis the suites run against. Keys are always under a random `supasync-test:<uuid>:` prefix. */
export const REDIS_URL = process.env.SUPASYNC_REDIS_URL ?? 'redis://127.0.0.1:6379'

export async function connectNodeRedis() {
  const client = createClient({ url: REDIS_URL })
  client.on('error', () => undefined) // surfaced by the failing command instead
  await client.connect()
  return client
}

export function connectIoRedis(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 })
}

export type NodeRedis = Awaited<ReturnType<typeof connectNodeRedis>>

export const uniquePrefix = (): string => `supasync-test:${randomUUID()}:`

/** Keys left under `prefix` (the suites assert none are left). */
export async function keysUnder(client: NodeRedis, prefix: string): Promise<string[]> {
  const found: string[] = []
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) found.push(...batch)
  return found
}
