import { createHmac, timingSafeEqual } from 'node:crypto'

/** Claims of a Supabase-style JWT. `role` and `exp` are what Realtime requires; the rest is free-form. */
export interface JwtClaims {
  /** Postgres role the token acts as: `anon`, `authenticated`, `service_role`. */
  role: string
  /** Expiry, seconds since the epoch. */
  exp: number
  /** Issued at, seconds since the epoch. */
  iat?: number
  /** The user id (`auth.uid()`). */
  sub?: string
  [claim: string]: unknown
}

/** Why a token was refused; each maps to one of the real server's error texts. */
export type JwtProblem = 'malformed' | 'signature' | 'missing_claims' | 'expired' | 'invalid_exp'

export class JwtError extends Error {
  constructor(
    readonly problem: JwtProblem,
    message: string,
    /** For `expired`: whole seconds since expiry, as the server reports it. */
    readonly expiredSecondsAgo?: number,
  ) {
    super(message)
    this.name = 'JwtError'
  }
}

const base64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url')

/** Signs HS256, the algorithm Supabase uses for anon/service_role keys and user sessions. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = base64url(JSON.stringify(claims))
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url')
  return `${header}.${body}.${signature}`
}

/** Reads the claims without checking the signature (for logging and for picking the right error). */
export function decodeJwt(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Verifies an HS256 token the way Realtime does: shape, signature, then the `role`/`exp` claims, then
 * expiry. Throws {@link JwtError} whose message is the server's text for that case.
 */
export function verifyJwt(token: string, secret: string, nowMs = Date.now()): JwtClaims {
  const parts = token.split('.')
  const claims = decodeJwt(token)
  if (parts.length !== 3 || !claims) throw new JwtError('malformed', 'The token provided is not a valid JWT')
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest()
  const given = Buffer.from(parts[2] ?? '', 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new JwtError('signature', 'Failed to validate JWT signature')
  }
  if (typeof claims.role !== 'string' || claims.exp === undefined) {
    throw new JwtError('missing_claims', 'Fields `role` and `exp` are required in JWT')
  }
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new JwtError('invalid_exp', 'Token expiration time is invalid')
  }
  const secondsLeft = claims.exp - Math.floor(nowMs / 1000)
  if (secondsLeft <= 0) {
    throw new JwtError('expired', `Token has expired ${-secondsLeft} seconds ago`, -secondsLeft)
  }
  return claims as JwtClaims
}
