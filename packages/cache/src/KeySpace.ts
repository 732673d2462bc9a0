/** The namespace a cache sees when none is given: where entries written before namespaces existed are found. */
export const DEFAULT_NAMESPACE = 'default'

/**
 * Marks a stored key as namespaced. Keys of the default namespace are stored as they are (so data written before
 * namespaces existed stays readable there), which is why they may not start with it.
 */
const MARK = '\u0001'

/** Throws a TypeError with a fix unless `namespace` is a non-empty string. */
export function assertNamespace(namespace: unknown, adapter: string): asserts namespace is string {
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError(
      `${adapter}: a namespace must be a non-empty string such as the signed-in user's id, e.g. cache.scoped(session.user.id) (got ${JSON.stringify(namespace)})`,
    )
  }
}

/**
 * How the keys of one namespace are stored in a flat string key space (the memory map, Redis): the default
 * namespace as the keys themselves, any other as `U+0001 <encodeURIComponent(namespace)> U+0001 <key>`. The encoded
 * namespace holds no U+0001, so no two (namespace, key) pairs share a stored key.
 */
export class KeySpace {
  /** The stored-key prefix of this namespace ('' for the default namespace). */
  readonly head: string

  constructor(
    readonly namespace: string,
    private readonly adapter: string,
  ) {
    assertNamespace(namespace, adapter)
    this.head = namespace === DEFAULT_NAMESPACE ? '' : `${MARK}${encodeURIComponent(namespace)}${MARK}`
  }

  /** Throws unless `key` may be stored in this namespace. */
  checkKey(key: string): void {
    if (this.head === '' && key.startsWith(MARK)) {
      throw new TypeError(
        `${this.adapter}: keys of the default namespace may not start with U+0001 (it marks namespaced keys), got ${JSON.stringify(key)}; use cache.scoped(namespace) for a separate namespace`,
      )
    }
  }

  /** The stored key of `key` in this namespace. */
  storageKey(key: string): string {
    this.checkKey(key)
    return this.head + key
  }

  /** Whether a stored key belongs to this namespace. */
  owns(storageKey: string): boolean {
    return this.head === '' ? !storageKey.startsWith(MARK) : storageKey.startsWith(this.head)
  }

  /** The key of a stored key this namespace owns. */
  keyOf(storageKey: string): string {
    return storageKey.slice(this.head.length)
  }
}

/** The namespace a stored key (from `KeySpace.storageKey`) belongs to. */
export function namespaceOfStorageKey(storageKey: string): string {
  if (!storageKey.startsWith(MARK)) return DEFAULT_NAMESPACE
  return decodeURIComponent(storageKey.slice(1, storageKey.indexOf(MARK, 1)))
}
