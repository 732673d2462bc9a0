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

/**
 * Reported (never thrown) when a stored record cannot be decoded: not written by this adapter, truncated, or written
 * by an incompatible version. The read treats it as a miss and the next write of the key replaces it.
 */
export class CacheCorruptEntryError extends Error {
  constructor(
    /** The adapter and where it stores, e.g. `redisCache "myapp:"`. */
    readonly adapter: string,
    /** The key as the adapter stores it (with its prefix or namespace). */
    readonly storageKey: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${adapter}: the stored record ${JSON.stringify(storageKey)} cannot be decoded, so it is read as a miss and the next write of the key replaces it. ` +
        'If something else writes under this prefix or database, give the cache a prefix or name of its own',
      options,
    )
    this.name = 'CacheCorruptEntryError'
  }
}
