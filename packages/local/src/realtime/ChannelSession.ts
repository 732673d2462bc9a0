import type { JwtClaims } from '../jwt.js'
import type { ActiveBinding, ChangeSubscriber } from './PostgresChanges.js'
import type { JoinConfig } from './joinConfig.js'
import type { ClientSocket } from './ClientSocket.js'

let nextSessionId = 0

/** One joined channel of one socket: what the server's RealtimeChannel process holds. */
export class ChannelSession implements ChangeSubscriber {
  /** Unique across the server; presence entries are keyed by it. */
  readonly id = `s${++nextSessionId}`
  readonly subTopic: string
  bindings: ActiveBinding[] | undefined
  claims: JwtClaims
  claimsJson: string
  token: string
  expiryTimer: ReturnType<typeof setTimeout> | undefined
  /** Per-channel presence limit: a fixed window anchored at its first call (presence_handler.ex). */
  presenceWindow: { count: number; resetAt: number } | undefined
  closed = false

  constructor(
    readonly socket: ClientSocket,
    readonly topic: string,
    readonly joinRef: string | null,
    readonly config: JoinConfig,
    token: string,
    claims: JwtClaims,
  ) {
    this.subTopic = topic.slice('realtime:'.length)
    this.token = token
    this.claims = claims
    this.claimsJson = JSON.stringify(claims)
  }

  get role(): string {
    return this.claims.role
  }

  setToken(token: string, claims: JwtClaims): void {
    this.token = token
    this.claims = claims
    this.claimsJson = JSON.stringify(claims)
  }

  deliverChange(ids: number[], dataJson: string): void {
    this.socket.sendPostgresChange(this.topic, ids, dataJson)
  }

  /** Pushes a channel message (join_ref set, ref null), like Phoenix.Channel.push. */
  push(event: string, payload: unknown): void {
    this.socket.send({ joinRef: this.joinRef, ref: null, topic: this.topic, event, payload })
  }

  /** A system message; `channel` is the subtopic, as the server sends it. */
  system(extension: string, status: 'ok' | 'error', message: string): void {
    this.push('system', { extension, status, message, channel: this.subTopic })
  }
}
