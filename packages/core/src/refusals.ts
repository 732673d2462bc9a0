import { SupasyncError } from './errors.js'
/**
 * Why a channel failed, read from what realtime-js and the server say, so recovery can pick the right answer:
 *
 * - `socket`: the socket died or is unproven (heartbeat timeout, socket closed, a join that timed out while no
 *   heartbeat was answered). Nothing is wrong with the channel; realtime-js rejoins it on reconnect. Never counts
 *   toward a circuit breaker (that is meant for joins the server refuses).
 * - `transient`: the server refused or closed it for a reason that passes by itself (restarting, rate limits,
 *   database connection trouble). Retried after a jittered backoff, behind the breaker.
 * - `token`: refused for the token (unauthorized, expired, invalid). Retrying with the same token cannot help;
 *   it is retried once a different token arrives (`setAuth`, a session refresh, the `accessToken` callback).
 * - `permanent`: refused for a reason only a change of the app or the project fixes (tenant missing, Realtime
 *   disabled, private-only project, bad topic or join payload, a payload over the size limit). Not retried.
 *
 * Reason texts: research/realtime-protocol.md §1.5 (join errors) and §1.6 (system errors before phx_close).
 */
export type FailureKind = 'socket' | 'transient' | 'token' | 'permanent'

export interface ChannelFailure {
  kind: FailureKind
  /** The server's own words (`Unauthorized: You do not have permissions…`), when it gave any. */
  reason: string | undefined
}

/**
 * The token is valid but the app's policies deny it the topic (private channels: the SELECT policies on
 * realtime.messages). At a join: `Unauthorized: You do not have permissions to read from this Channel topic: <t>`;
 * when an `access_token` push is re-checked: the same text without the prefix, or `You no longer have permission to
 * read from this Channel topic: <t>` (realtime_channel.ex `handle_in("access_token")`), then phx_close.
 */
const ACCESS_REASONS = [/^Unauthorized\b/i, /^You do not have permissions? to read\b/i, /no longer have permission/i]

/** Refusals that only a different token can change. */
const TOKEN_REASONS = [
  ...ACCESS_REASONS,
  /^InvalidJWTToken\b/i,
  /^MalformedJWT\b/i,
  /^JwtSignatureError\b/i,
  /Token has expired/i,
  /Fields `role` and `exp` are required/i,
  /not a valid JWT/i,
  /signature_error/i,
]

/** Refusals that will not change by themselves, nor with another token. */
const PERMANENT_REASONS = [
  /^TenantNotFound\b/i,
  /^RealtimeDisabledForTenant\b/i,
  /^RealtimeDisabledForConfiguration\b/i,
  /^PrivateOnly\b/i,
  /^TopicNameRequired\b/i,
  /^unmatched topic$/i,
  /^UnableToReplayMessages\b/i,
  /^InvalidJoinPayload\b/i,
  /Track message size exceeded/i,
  /payload_size_exceeded/i,
  /Payload Too Large/i,
  /Presence track payload must be a map/i,
]

export function classifyReason(reason: string): Exclude<FailureKind, 'socket'> {
  if (TOKEN_REASONS.some((pattern) => pattern.test(reason))) return 'token'
  if (PERMANENT_REASONS.some((pattern) => pattern.test(reason))) return 'permanent'
  // RealtimeRestarting, ClientJoinRateLimitReached, ConnectionRateLimitReached, ChannelRateLimitReached,
  // InitializingProjectConnection, database connection errors, "Too many messages per second", unknown texts…
  return 'transient'
}

/**
 * A token refusal that is about access, not about the token itself: the same token is refused again, and a fresh
 * copy of it from the token source (same user, same claims) too. Only another token (another user, or one issued
 * after the policies' data changed) or a policy change can help; an expired token, by contrast, is fixed by a fresh one.
 */
export function isAccessReason(reason: string): boolean {
  return ACCESS_REASONS.some((pattern) => pattern.test(reason))
}

/** Presence-caused shutdowns: the presence layer must hear of them (the room itself is not at fault). */
export function isPresenceReason(reason: string): boolean {
  return /Track message size exceeded|presence/i.test(reason)
}

/**
 * A CHANNEL_ERROR or TIMED_OUT from realtime-js's subscribe callback. A join error reply carries the server's
 * response as the error's `cause` (`{ reason }`); socket-level errors (heartbeat timeout, close event, transport
 * failure) carry none. A join that timed out is the server's fault only if the socket was proven meanwhile.
 */
export function classifyChannelError(status: string, error: unknown, socketProven: boolean): ChannelFailure {
  if (status === 'TIMED_OUT') {
    return socketProven ? { kind: 'transient', reason: 'the join timed out although the socket answers heartbeats' } : { kind: 'socket', reason: undefined }
  }
  const reason = serverReason(error)
  if (reason !== undefined) return { kind: classifyReason(reason), reason }
  const message = error instanceof Error ? error.message : undefined
  // realtime-js's own verdict on a join reply it could not match: the server answered, so it is not the socket.
  if (message && /mismatch between server and client bindings/.test(message)) return { kind: 'transient', reason: message }
  return { kind: 'socket', reason: undefined }
}

/** The `reason` of a join error reply, as realtime-js 2.x hands it over (`new Error(text, { cause: response })`). */
export function serverReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const cause = (error as Error & { cause?: unknown }).cause
  if (!cause || typeof cause !== 'object' || 'code' in cause || 'type' in cause) return undefined
  const reason = (cause as { reason?: unknown }).reason
  if (typeof reason === 'string' && reason !== '') return reason
  // Older replies: the response itself is the text (`Object.values(response).join(', ')`).
  return error.message && error.message !== 'error' ? error.message : undefined
}

/** A channel that stayed joined this long before failing was healthy: its failure starts a fresh count. */
export const STABLE_CHANNEL_MS = 30_000

/**
 * The fix to append to a postgres_changes refusal, when the server's text says what it is: a table outside the
 * `supabase_realtime` publication ("Please check Realtime is enabled for the given connect parameters").
 */
export function refusalFix(message: string, specs: readonly { schema: string; table: string }[]): string {
  if (!/Please check Realtime is enabled/i.test(message)) return ''
  const tables = [...new Set(specs.filter((spec) => spec.table !== '*').map((spec) => `${quoteIdent(spec.schema)}.${quoteIdent(spec.table)}`))]
  if (tables.length === 0) return '. Fix: add the table to the publication (alter publication supabase_realtime add table <schema>.<table>) or check the schema and table names.'
  return `. Fix: add the table to the publication: alter publication supabase_realtime add table ${tables.join(', ')}; (or check the schema and table names).`
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
}

/**
 * The error for a refusal only a different token can change: `what` names the channel ("a changes channel",
 * `channel "wedding:42"`), `hint` adds what that channel needs of the token.
 */
export function tokenRefusal(what: string, reason: string, hint = ''): SupasyncError<'UNAUTHORIZED'> {
  return new SupasyncError(
    'UNAUTHORIZED',
    `Realtime refused ${what}: ${reason}. supasync retries it as soon as a different access token arrives: ` +
      `sign the user in or refresh the session, or call supabase.realtime.setAuth(token)${hint}.`,
    { reason },
  )
}
