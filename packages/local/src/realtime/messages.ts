/**
 * The real server's texts, collected in one place so tests and docs can refer to them.
 * Sources: research/realtime-protocol.md §1.1, §1.5, §1.6, §2.1.
 */
export const JoinErrors = {
  tooManyChannels: 'ChannelRateLimitReached: Too many channels',
  topicNameRequired: 'TopicNameRequired: You must provide a topic name',
  unmatchedTopic: 'unmatched topic',
  jwt: (message: string) => `InvalidJWTToken: ${message}`,
  malformedJwt: 'MalformedJWT: The token provided is not a valid JWT',
  jwtSignature: 'JwtSignatureError: Failed to validate JWT signature',
  unauthorizedPrivate: (subTopic: string) =>
    `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
  refused: 'RealtimeRestarting: Realtime is restarting, please standby',
  replayPublic: 'UnableToReplayMessages: Replay is not allowed for public channels',
  replayInvalid: 'UnableToReplayMessages: Replay params are not valid',
  replayFailed: 'UnableToReplayMessages: Realtime was unable to replay messages',
  missingPartition: 'MissingPartition: Realtime was unable to find the expected messages partition',
  /** `:unable_to_set_policies` has no code prefix. */
  unableToSetPolicies: 'Realtime was unable to connect to the project database',
} as const

export const ConnectErrors = {
  missingApiKey: { status: 401, message: 'API key is missing' },
  expiredToken: { status: 401, message: 'Token has expired' },
  missingClaims: { status: 401, message: 'Fields `role` and `exp` are required in JWT' },
  malformed: { status: 401, message: 'The token provided is not a valid JWT' },
  signature: { status: 401, message: 'Failed to validate JWT signature' },
} as const

export const SystemMessages = {
  subscribedToPostgres: 'Subscribed to PostgreSQL',
  tokenExpired: (secondsAgo: number) => `Token has expired ${secondsAgo} seconds ago`,
  clientPresenceRateLimit: 'Client presence rate limit exceeded',
  trackSizeExceeded: 'Track message size exceeded',
  presencePayloadNotMap: 'Presence track payload must be a map',
  /** access_token shutdowns of private channels (realtime_channel.ex handle_in("access_token")). */
  noReadPermission: (subTopic: string) => `You do not have permissions to read from this Channel topic: ${subTopic}`,
  readPermissionRevoked: (subTopic: string) => `You no longer have permission to read from this Channel topic: ${subTopic}`,
  unableToConnectToDatabase: 'Realtime was unable to connect to the project database',
  replicationReady: 'Replication connection established',
  replicationNotReady: 'Replication connection was not established in time',
  /**
   * Our text: a `persist` send the policies do not allow. The server side of opt-in persist (realtime PR #2235) is
   * unpublished; realtime-js 2.119 resolves send() with this text when ack is on.
   */
  persistUnauthorized: (subTopic: string) =>
    `Unauthorized: You do not have permissions to persist messages on this Channel topic: ${subTopic}. ` +
    "Fix: add an INSERT policy on realtime.messages that allows extension = 'persistence' for this topic.",
} as const
