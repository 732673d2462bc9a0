/** The part of the Web Locks API (`navigator.locks`) the queue uses. */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown>
}

/** The part of `BroadcastChannel` the queue uses. */
export interface ChannelLike {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  close(): void
}

/**
 * How queues in several tabs (or workers) of one origin share one outbox: one of them, the holder of a Web Lock named
 * after the outbox, sends; the others only store what is enqueued in them, and every queue re-reads the outbox when
 * another says it changed. Tests pass fakes; browsers have both APIs.
 */
export interface CrossTabPorts {
  locks: LockManagerLike
  channel: (name: string) => ChannelLike
}

/** The browser's Web Locks and BroadcastChannel, or undefined where either is missing (Node, old browsers). */
export function browserCrossTab(): CrossTabPorts | undefined {
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; BroadcastChannel?: new (name: string) => ChannelLike }
  const locks = scope.navigator?.locks
  const Channel = scope.BroadcastChannel
  if (!locks || typeof locks.request !== 'function' || typeof Channel !== 'function') return undefined
  return { locks, channel: (name) => new Channel(name) }
}

const CHANGED = 'supasync-queue:changed'

/**
 * One queue's membership in its outbox's group of tabs: asks for the lock (granted to one tab at a time, and to the
 * next one when that tab closes or its queue is destroyed), says when this tab changed the outbox, and hears when
 * another did.
 */
export class CrossTab {
  private readonly channel: ChannelLike
  private readonly abort = new AbortController()
  private releaseLock: (() => void) | undefined
  private closed = false
  private readonly onMessage = (event: { data: unknown }) => {
    if (!this.closed && event.data === CHANGED) this.changedElsewhere()
  }

  constructor(
    ports: CrossTabPorts,
    name: string,
    private readonly becameLeader: () => void,
    private readonly changedElsewhere: () => void,
  ) {
    this.channel = ports.channel(name)
    this.channel.addEventListener('message', this.onMessage)
    ports.locks
      .request(name, { signal: this.abort.signal }, () => {
        if (this.closed) return Promise.resolve()
        // Held until this queue is destroyed (or the tab goes away, which releases every lock it held).
        return new Promise<void>((release) => {
          this.releaseLock = release
          this.becameLeader()
        })
      })
      .catch(() => undefined) // aborted by destroy() while waiting
  }

  /** Tells the other tabs that this one changed the outbox (stored, sent, discarded or cleared entries). */
  changed(): void {
    if (!this.closed) this.channel.postMessage(CHANGED)
  }

  /** Gives up the lock (the next tab takes over) and stops listening. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.abort.abort()
    this.releaseLock?.()
    this.channel.removeEventListener('message', this.onMessage)
    this.channel.close()
  }
}
