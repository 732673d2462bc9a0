/** Server limits and delays; defaults are the real server's (research/realtime-protocol.md §2.1). */
export interface RealtimeLimits {
  /** Channels one socket may join; the next join fails with `ChannelRateLimitReached`. Default 100. */
  maxChannelsPerClient: number
  /** Delay before every join error reply, in ms (CHANNEL_ERROR_BACKOFF_MS). Default 5000. */
  joinErrorDelayMs: number
  /** Delay before a refused WebSocket upgrade is answered, in ms (CONNECT_ERROR_BACKOFF_MS). Default 2000. */
  connectErrorDelayMs: number
  /** A socket that sent nothing for this long is closed, in ms (Phoenix websocket timeout). Default 60 000. */
  idleTimeoutMs: number
  /** Presence calls (track/untrack) one channel may make per window. Default 5. */
  presenceMaxCalls: number
  /** The presence call window, in ms. Default 30 000. */
  presenceWindowMs: number
  /** Largest broadcast/presence payload, in bytes. Default 3000 KB + 500 B padding. */
  maxPayloadBytes: number
  /** Largest WebSocket frame, in bytes. Default 5 000 000. */
  maxFrameBytes: number
  /**
   * Extra time between the join reply and "Subscribed to PostgreSQL", in ms. The real server's gap is a
   * database round trip (longer under load); tests raise it to make the gap observable. Default 0.
   */
  postgresSubscribeDelayMs: number
  /**
   * Most bytes the server holds for one socket that the kernel has not taken yet (ws `bufferedAmount`: the
   * net.Socket's writable queue), in bytes. Past it the socket is destroyed without a close frame (the client
   * sees 1006) and its channels and presences are released. The real server has no byte limit of its own:
   * its transport process is killed past `max_heap_size` (WEBSOCKET_MAX_HEAP_SIZE, default 50 000 000 bytes).
   * Checked at the end of each event-loop turn and, while the socket is behind, on every send. Default 50 000 000.
   */
  maxSendBufferBytes: number
  /**
   * A socket whose unsent backlog makes no progress into the kernel for this long is destroyed without a
   * close frame (1006), in ms. Ranch's `send_timeout` (30 000, with `send_timeout_close`), which realtime
   * does not override. Checked every quarter of it while a backlog exists. Default 30 000.
   */
  sendTimeoutMs: number
}

export const defaultLimits: RealtimeLimits = {
  maxChannelsPerClient: 100,
  joinErrorDelayMs: 5000,
  connectErrorDelayMs: 2000,
  idleTimeoutMs: 60_000,
  presenceMaxCalls: 5,
  presenceWindowMs: 30_000,
  maxPayloadBytes: 3000 * 1024 + 500,
  maxFrameBytes: 5_000_000,
  postgresSubscribeDelayMs: 0,
  maxSendBufferBytes: 50_000_000,
  sendTimeoutMs: 30_000,
}
