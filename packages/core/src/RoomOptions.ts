/**
 * What `sync.channel()` takes and what a room reports: its options (with the canonical form holders are compared
 * by), its status, and the broadcast and presence events its listeners receive.
 */
/**
 * Where a room's realtime channel is: `joining` (or rejoining), `joined`, `errored` (it failed: realtime-js or supasync
 * retries it, after a backoff or once a new access token arrives; `room.error` says why), `closed` (released or
 * destroyed).
 */
export type RoomStatus = 'joining' | 'joined' | 'errored' | 'closed'

/** Options of `sync.channel()`. Holders of one topic must agree on them. */
export interface RoomOptions {
  broadcast?: {
    /** Receive your own broadcasts. Default false. */
    self?: boolean
    /** Have the server acknowledge each send, so `send()` answers 'ok' only once it arrived. Default false. */
    ack?: boolean
  }
  /** Presence settings; `key` identifies this client in the room (default: a new uuid per join, chosen by the server). */
  presence?: { key?: string }
  /**
   * Join as a private channel: the server admits the user's token only if the app's SELECT policies on
   * `realtime.messages` let it read the topic (Realtime Authorization), and checks sends and presence against the
   * INSERT policies. A refusal is reported (`UNAUTHORIZED`, with the server's reason) and retried once the access
   * token changes, never in a loop; a token refresh re-authorizes the joined channel without a leave and join.
   * A private and a public room of one topic are different channels and cannot be held at once on one client.
   * Default false.
   */
  private?: boolean
}

/** A broadcast as listeners receive it. */
export interface BroadcastMessage<T = unknown> {
  event: string
  payload: T
}

/**
 * A presence event from realtime-js: 'sync' after every state change, 'join'/'leave' with the metas; and
 * 'refused' when the server shut the channel down over presence (`reason` in its words, e.g. "Track message size
 * exceeded"): the room re-creates the channel, and the presence layer must not send the same payload again.
 */
export interface PresenceEvent {
  event: 'sync' | 'join' | 'leave' | 'refused'
  key?: string
  newPresences?: Record<string, unknown>[]
  leftPresences?: Record<string, unknown>[]
  reason?: string
}

/** The options as one comparable string: holders of a topic agree when theirs are equal. */
export const canonicalOptions = (options: RoomOptions) =>
  JSON.stringify({
    self: options.broadcast?.self ?? false,
    ack: options.broadcast?.ack ?? false,
    presence: options.presence ? (options.presence.key ?? '') : null,
    private: options.private ?? false,
  })
