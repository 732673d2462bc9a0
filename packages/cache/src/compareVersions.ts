import type { CacheVersion } from './Cache'
import { CacheVersionError } from './errors'

/** Throws `CacheVersionError` unless `version` is a finite number or a string. */
export function assertVersion(version: unknown, key: string): asserts version is CacheVersion {
  if (typeof version === 'string') return
  if (typeof version === 'number' && Number.isFinite(version)) return
  throw new CacheVersionError(
    `Invalid version ${String(version)} for key "${key}": use a finite number (e.g. Date.parse(row.updated_at)) or a string`,
  )
}

/** Maps a UTF-16 code unit so that comparing mapped units orders strings by code point (as UTF-8 bytes do). */
function codePointOrder(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

/**
 * Compares two versions: negative if `a` is older, 0 if equal, positive if `a` is newer. Numbers compare
 * numerically, strings by code point (the same order as the Redis Lua script). Throws `CacheVersionError` when one
 * is a number and the other a string.
 */
export function compareVersions(a: CacheVersion, b: CacheVersion, key = ''): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) {
      const x = a.charCodeAt(i)
      const y = b.charCodeAt(i)
      if (x !== y) return codePointOrder(x) - codePointOrder(y)
    }
    return a.length - b.length
  }
  throw new CacheVersionError(
    `Version types differ for key "${key}" (${typeof a} vs ${typeof b}): use one version type per cache, ` +
      'e.g. always Date.parse(updated_at) numbers or always ISO strings, or clear() the cache after changing it',
  )
}
