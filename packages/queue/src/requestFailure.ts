/**
 * The error an executor throws for a failed request, and the policy that decides what the queue does with it:
 * retry with backoff (network errors, 408, 429, 5xx) or dead-letter at once (every other 4xx).
 */
export class RequestFailure extends Error {
  override name = 'RequestFailure'
  /** HTTP status; 0 when the request never got a response (network error, timeout, lost response). */
  readonly status: number
  /** PostgREST / Postgres error code, when the server sent one. */
  readonly pgCode: string | undefined
  readonly details: string | null
  readonly hint: string | null
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined

  constructor(init: { status: number; message: string; pgCode?: string; details?: string | null; hint?: string | null; retryAfterMs?: number; cause?: unknown }) {
    super(init.message, { cause: init.cause })
    this.status = init.status
    this.pgCode = init.pgCode || undefined
    this.details = init.details ?? null
    this.hint = init.hint ?? null
    this.retryAfterMs = init.retryAfterMs
  }
}

/** Network errors, 408, 429 and 5xx are worth retrying; other 4xx will fail the same way every time. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof RequestFailure)) return true // an unknown throw (a fetch TypeError, a bug): never lose the write.
  const { status } = error
  return status === 0 || status === 408 || status === 429 || status >= 500
}

/**
 * A 401 whose PostgREST code says the JWT expired or is invalid (PGRST301, PGRST303): retrying now with the same token
 * fails the same way, but the session may refresh, so the write waits for the next flush trigger instead of becoming
 * a dead letter.
 */
export function isAuthExpired(error: unknown): boolean {
  return error instanceof RequestFailure && error.status === 401 && (error.pgCode === 'PGRST301' || error.pgCode === 'PGRST303')
}

/** `Retry-After` as seconds or an HTTP date → ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000))
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
