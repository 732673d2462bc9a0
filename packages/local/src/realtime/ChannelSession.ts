import type { JwtClaims } from '../jwt.js'
import type { AuthorizationContext } from './Authorization.js'
import type { ActiveBinding, ChangeSubscriber } from './PostgresChanges.js'
import type { JoinConfig } from './joinConfig.js'
import type { ClientSocket } from './ClientSocket.js'

let nextSessionId = 0

/**
 * What the app's policies on realtime.messages allow this channel; undefined = not evaluated yet. Public channels
 * have none. Write access is evaluated lazily and cached until the next access_token (realtime_channel.ex).
 */
export interface ChannelPolicies {
  broadcastRead?: boolean
  presenceRead?: boolean
  broadcastWrite?: boolean
  presenceWrite?: boolean
  /** May `persist` store messages for replay (the `persistence` extension, realtime PR #2022). */
  persist?: boolean
}

/** Private and public channels of one name are different channels (lib/realtime/tenants.ex tenant_topic/3). */
export const channelKey = (topic: string, isPrivate: boolean) => (isPrivate ? `private|${topic}` : `public|${topic}`)

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
  /** Where broadcasts and presence of this channel live: the topic and whether it is private. */
  readonly key: string
  readonly isPrivate: boolean
  /** Private channels only. */
  policies: ChannelPolicies | undefined
  /** Ids of replayed messages: their live copies are not delivered again (MessageDispatcher already_replayed?/2). */
  replayedIds: Set<string> | undefined
  /** Set while a policy check of this channel runs: its later messages, in order (see ClientSocket.waitForChannel). */
  heldWork: { run: () => Promise<void> | undefined; bytes: number }[] | undefined
  /** Pending `broadcast.replication_ready` check. */
  replicationTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly socket: ClientSocket,
    readonly topic: string,
    readonly joinRef: string | null,
    readonly config: JoinConfig,
    token: string,
    claims: JwtClaims,
    policies?: ChannelPolicies,
  ) {
    this.subTopic = topic.slice('realtime:'.length)
    this.isPrivate = config.private
    this.key = channelKey(topic, config.private)
    this.policies = config.private ? (policies ?? {}) : undefined
    this.token = token
    this.claims = claims
    this.claimsJson = JSON.stringify(claims)
  }

  get role(): string {
    return this.claims.role
  }

  /** The context the channel's policies run in. */
  authorizationContext(): AuthorizationContext {
    return { subTopic: this.subTopic, role: this.claims.role, claims: this.claims, headers: this.socket.headers }
  }

  /** Public channels receive every broadcast; private ones only with broadcast read access. */
  get readsBroadcast(): boolean {
    return !this.policies || this.policies.broadcastRead === true
  }

  /** Public channels receive presence; private ones only with presence read access. */
  get readsPresence(): boolean {
    return !this.policies || this.policies.presenceRead === true
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
