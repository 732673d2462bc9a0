/** A connected node-redis client (v4–v6, `createClient()` from `redis`): only `sendCommand` is used. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>
  /** node-redis: `false` before `connect()` and after `quit()`/`close()`. */
  readonly isOpen?: boolean
}

/** A connected ioredis client (v5–v6, `new Redis()`): only `call` is used. */
export interface IoRedisClientLike {
  call(command: string, ...args: string[]): Promise<unknown>
  /** ioredis: `'ready'`, `'connecting'`, …, `'end'` after `quit()`. */
  readonly status?: string
}

/** Either Redis client, typed structurally so neither package is a hard dependency. */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike

/** Sends one command through whichever client was given; throws an error that says how to fix a closed client. */
export function redisCommand(client: RedisClientLike, args: string[]): Promise<unknown> {
  if ('call' in client && typeof client.call === 'function') {
    if (client.status === 'end' || client.status === 'close') throw notConnected(`ioredis status is "${client.status}"`)
    const [command, ...rest] = args
    return client.call(command ?? '', ...rest)
  }
  if ('sendCommand' in client && typeof client.sendCommand === 'function') {
    if (client.isOpen === false) throw notConnected('node-redis isOpen is false')
    return client.sendCommand(args)
  }
  throw new TypeError(
    'redisCache: `client` is neither a node-redis client (sendCommand) nor an ioredis client (call). ' +
      'Pass `await createClient({ url }).connect()` from "redis" or `new Redis(url)` from "ioredis"',
  )
}

function notConnected(detail: string): Error {
  return new Error(
    `redisCache: the Redis client is not connected (${detail}). Call \`await client.connect()\` (node-redis) ` +
      'before using the cache, and close the cache before quitting the client',
  )
}
