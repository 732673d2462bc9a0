/**
 * What kind of reason closed a channel, for a metric attribute. The server's words (`channel-close` `reason`) can
 * name the topic (`…read from this Channel topic: room:r1`) or a count (`Token has expired 12 seconds ago`), so they
 * would give every room and every second a series of its own; the kind has seven values.
 */
export type CloseReasonKind = 'none' | 'access' | 'token' | 'rate_limit' | 'unavailable' | 'config' | 'other'

/** Every kind, in the order of the README's table. */
export const CLOSE_REASON_KINDS = ['none', 'access', 'token', 'rate_limit', 'unavailable', 'config', 'other'] as const satisfies readonly CloseReasonKind[]

// Texts of supabase/realtime's join error replies (`<Code>: <message>`) and of the `system` errors it pushes before
// phx_close (realtime_channel.ex; summarised in the project's research notes, realtime-protocol.md §1.5 and §1.6),
// plus the texts supasync itself puts into `reason` (a join that timed out on a proven socket).
const PATTERNS: readonly [Exclude<CloseReasonKind, 'none' | 'other'>, RegExp][] = [
  // The token is fine but the app's policies on realtime.messages deny the topic (private channels).
  ['access', /^Unauthorized\b|do not have permissions? to read|no longer have permission/i],
  ['token', /InvalidJWTToken|MalformedJWT|JwtSignatureError|Token has expired|Token expiration time|Fields `role` and `exp`|not a valid JWT|signature_error/i],
  ['rate_limit', /RateLimitReached|Too many|rate limit/i],
  [
    'config',
    /TenantNotFound|RealtimeDisabledFor|PrivateOnly|TopicNameRequired|unmatched topic|UnableToReplayMessages|InvalidJoinPayload|mismatch between server and client bindings|Please check Realtime is enabled|size exceeded|payload_size_exceeded|Payload Too Large|payload must be a map/i,
  ],
  [
    'unavailable',
    /RealtimeRestarting|InitializingProjectConnection|UnableToConnectToProject|unable to connect|IncreaseConnectionPool|DatabaseLackOfConnections|Replication connection|Query was cancelled|Node request timeout|RPC call error|Server requested disconnect|PostgresChangesSubscribeTimeout|timed out/i,
  ],
]

/**
 * The kind of a `channel-close` reason: `none` without words (a release, or a close the server did not explain),
 * `access` (the policies deny the topic), `token` (expired or invalid JWT), `rate_limit` (the server's limits on
 * joins, channels, messages or presence), `unavailable` (Realtime restarting or unable to reach the database, a
 * timeout), `config` (a project or request the server will not accept as it is: tenant, disabled Realtime,
 * private-only, a table outside the publication, a payload over the size limit), `other` (any other text).
 */
export function closeReasonKind(reason: string | undefined): CloseReasonKind {
  if (reason === undefined || reason.trim() === '') return 'none'
  for (const [kind, pattern] of PATTERNS) if (pattern.test(reason)) return kind
  return 'other'
}
