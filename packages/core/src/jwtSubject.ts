/**
 * The `sub` claim of a JWT (the user id Supabase Auth puts there), or undefined for anything else: the anon or
 * service key (no `sub`), a publishable key (not a JWT), a malformed token. The signature is not checked: the token
 * only names the cache namespace, and the server checks it on every request.
 */
export function jwtSubject(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='))
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
    const sub = (JSON.parse(json) as { sub?: unknown }).sub
    return typeof sub === 'string' && sub !== '' ? sub : undefined
  } catch {
    return undefined
  }
}
