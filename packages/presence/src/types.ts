/** Any JSON-serialisable object a member publishes about itself (name, role, current task…). */
export type PresenceState = Record<string, unknown>

/** Where a member is: `online` (some connection visible), `away` (every connection hidden for a while), `offline`. */
export type PresenceStatus = 'online' | 'away' | 'offline'

/** One member of a presence room: every tab and device of one key merged into one entry. */
export interface PresenceMember<S extends object = PresenceState> {
  /** The member's presence key (usually the user id). */
  readonly key: string
  /** The state the member published last (of all its connections, the most recently changed one wins). */
  readonly state: S
  /** `online` when any connection is active, `away` when all are away, `offline` when none is left. */
  readonly status: PresenceStatus
  /**
   * Epoch ms on this client's wall clock: for online and away members, when their presence last changed (joined,
   * updated); for offline members, when their last connection was seen leaving. Measured on the timer port's
   * never-backward clock and placed on the wall clock as it reads now, so setting the clock moves it along.
   */
  readonly lastSeen: number
  /** Connections (tabs, devices) of this key in the room now; 0 when offline. */
  readonly connections: number
  /** True while any of the member's connections is typing. */
  readonly typing: boolean
  /** True for this client's own key (all of its tabs). */
  readonly self: boolean
}

/**
 * One connection's presence entry as supasync tracks it (the presence payload on the wire). Entries tracked by
 * other clients without supasync are read as `{ conn: presence_ref, state: payload }`.
 */
export interface ConnectionMeta<S extends object = PresenceState> {
  /** Per-connection id, stable across the connection's reconnects. */
  conn: string
  /** The server's presence_ref of this entry (changes with every track); '' when realtime-js lost it. */
  ref: string
  state: S
  /** The connection's tab was hidden for `awayAfterMs`. */
  away: boolean
  typing: boolean
  /** Sender's clock (epoch ms) at its latest change: breaks ties between connections seen at the same moment. */
  at: number
}
