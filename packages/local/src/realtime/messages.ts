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
} as const
