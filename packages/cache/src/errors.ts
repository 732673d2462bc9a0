/** Thrown when a cache is used after `close()`. */
export class CacheClosedError extends Error {
  constructor(adapter: string) {
    super(`${adapter} is closed: create a new cache instead of using one after close()`)
    this.name = 'CacheClosedError'
  }
}

/** Thrown for an invalid version, or when a number version meets a string version for the same key. */
export class CacheVersionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheVersionError'
  }
}
