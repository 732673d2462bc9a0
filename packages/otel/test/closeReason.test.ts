/**
 * The reason kinds of channel closes, from the texts supabase/realtime sends (join error replies `<Code>: <message>`,
 * and the `system` errors before phx_close) and the one supasync writes for a join that timed out.
 */
import { describe, expect, it } from 'vitest'
import { CLOSE_REASON_KINDS, closeReasonKind, type CloseReasonKind } from '../src/index.js'

const CASES: [string | undefined, CloseReasonKind][] = [
  [undefined, 'none'],
  ['', 'none'],
  ['Unauthorized: You do not have permissions to read from this Channel topic: room:r1', 'access'],
  ['You do not have permissions to read from this Channel topic: room:r1', 'access'],
  ['You no longer have permission to read from this Channel topic: room:r1', 'access'],
  ['InvalidJWTToken: Token has expired 12 seconds ago', 'token'],
  ['Token has expired 3 seconds ago', 'token'],
  ['InvalidJWTToken: Fields `role` and `exp` are required in JWT', 'token'],
  ['MalformedJWT: The token provided is not a valid JWT', 'token'],
  ['JwtSignatureError: Failed to validate JWT signature', 'token'],
  ['ChannelRateLimitReached: Too many channels', 'rate_limit'],
  ['ClientJoinRateLimitReached: Too many joins per second', 'rate_limit'],
  ['ConnectionRateLimitReached: Too many connected users', 'rate_limit'],
  ['Too many messages per second', 'rate_limit'],
  ['Too many presence messages per second', 'rate_limit'],
  ['Client presence rate limit exceeded', 'rate_limit'],
  ['DatabaseConnectionRateLimitReached: Too many database connections attempts per second', 'rate_limit'],
  ['TenantNotFound: Tenant with the given ID does not exist', 'config'],
  ['RealtimeDisabledForTenant: Realtime disabled for this tenant', 'config'],
  ['PrivateOnly: This project only allows private channels', 'config'],
  ['UnableToReplayMessages: Replay is not allowed for public channels', 'config'],
  ['Track message size exceeded', 'config'],
  ['mismatch between server and client bindings for postgres changes', 'config'],
  ['Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [schema: public, table: x]', 'config'],
  ['RealtimeRestarting: Realtime is restarting, please standby', 'unavailable'],
  ['InitializingProjectConnection: Realtime is initializing the project connection', 'unavailable'],
  ['UnableToConnectToProject: Realtime was unable to connect to the project database', 'unavailable'],
  ['Realtime was unable to connect to the project database', 'unavailable'],
  ['DatabaseLackOfConnections: Database can\'t accept more connections, Realtime won\'t connect', 'unavailable'],
  ['Replication connection was not established in time', 'unavailable'],
  ['Query was cancelled, please try again', 'unavailable'],
  ['Node request timeout', 'unavailable'],
  ['PostgresChangesSubscribeTimeout: Timed out after 15000ms waiting for the postgres_changes subscription', 'unavailable'],
  ['the join timed out although the socket answers heartbeats', 'unavailable'],
  ['Unknown Error on Channel', 'other'],
  ['something new', 'other'],
]

describe('closeReasonKind', () => {
  it.each(CASES)('%j → %s', (reason, kind) => {
    expect(closeReasonKind(reason)).toBe(kind)
  })

  it('covers every kind it declares', () => {
    expect(new Set(CASES.map(([, kind]) => kind))).toEqual(new Set(CLOSE_REASON_KINDS))
  })
})
