import { SupasyncError } from '@supasync/core'

/** Machine-readable reason of a {@link PollingError}. */
export type PollingErrorCode =
  /** The options of createLiveTable are invalid (see the message for the field). */
  | 'INVALID_OPTIONS'
  /** The filter object is malformed. */
  | 'INVALID_FILTER'
  /** PostgREST could not be reached, timed out, or answered 408/429/5xx: polling retries by itself. */
  | 'UNREACHABLE'
  /** PostgREST answered 401/403 (an expired or missing token): polling retries, the app should refresh auth. */
  | 'UNAUTHORIZED'
  /** PostgREST refused the read for good (a 4xx: unknown column, bad value): fix the options. */
  | 'REJECTED'
  /** The server lacks supasync-polling.sql (no public.supasync_watermark / public.supasync_tombstones). */
  | 'MISSING_MIGRATION'
  /** A row lacks its primary key or has a cursor value that is not a timestamp. */
  | 'BAD_ROW'
  /** Another user signed in on the client during the table's life: its cache mirroring stopped; create new live tables. */
  | 'IDENTITY_CHANGED'
  /**
   * Realtime refused or closed the private topic of a live table with `source: 'broadcast'` (most often: no SELECT
   * policy on realtime.messages admits the user for the topic). Shown in `freshness.error` while it lasts; the table
   * polls meanwhile and never claims realtime.
   */
  | 'REALTIME_REFUSED'
  /** The live table was destroyed. */
  | 'DESTROYED'

/** Every error the polling package throws or reports, with a message that says how to fix the cause. */
export class PollingError extends SupasyncError<PollingErrorCode> {
  override name = 'PollingError'
  /** HTTP status of the failed request, when there was one (0: no response). */
  readonly status: number | undefined
  constructor(code: PollingErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options)
    this.status = options?.status
  }

  /** Whether polling should keep retrying (the cause is outside the app's options). */
  get transient(): boolean {
    return this.code === 'UNREACHABLE' || this.code === 'UNAUTHORIZED'
  }
}

/** A failure as a PollingError: PollingErrors as they are, anything else (a bug, a thrown non-error) as UNREACHABLE. */
export function asPollingError(cause: unknown): PollingError {
  return cause instanceof PollingError ? cause : new PollingError('UNREACHABLE', `Polling failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
}

/** What to do about a 4xx PostgREST answer, from its Postgres / PostgREST error code. */
function rejectionFix(code: string | undefined, message: string): string {
  // 42P01: undefined table (PostgREST 12); PGRST205 / PGRST106: not in the schema cache / schema not exposed (newer).
  if (code === '42P01' || code === 'PGRST205' || code === 'PGRST106') {
    return "check the table and schema options; if the table was just created, reload PostgREST's schema cache (notify pgrst, 'reload schema'); a schema other than public must be in PostgREST's db-schemas."
  }
  // 42703: undefined column; PGRST204 / PGRST100 (parse errors name the column too).
  if (code === '42703' || code === 'PGRST204' || /column .* does not exist/i.test(message)) {
    return 'check the filter, primaryKey, cursor and softDeleteColumn options against the table\'s columns.'
  }
  return 'check the table, filter, primaryKey and cursor options and that the role may SELECT them.'
}

/** Turns a failed PostgREST answer into a PollingError that says what to do about it. */
export function restFailure(what: string, result: { error: { message: string; code?: string; hint?: string | null } | null; status: number }): PollingError {
  const error = result.error
  const text = error ? `${error.message}${error.code ? ` (${error.code})` : ''}${error.hint ? ` Hint: ${error.hint}` : ''}` : `HTTP ${result.status}`
  const status = result.status
  if (status === 0 || status === 408 || status === 429 || status >= 500 || /fetch failed|network|abort|timed? ?out|ECONN|socket/i.test(error?.message ?? '')) {
    return new PollingError('UNREACHABLE', `${what}: PostgREST is unreachable (${text}). Polling retries by itself; the data stays as last synced.`, { status })
  }
  if (status === 401 || status === 403) {
    if (error?.code === '42501') {
      return new PollingError('REJECTED', `${what}: PostgREST refused the read (${text}). Fix: grant the role SELECT on the table (grant select on <table> to anon, authenticated).`, { status })
    }
    return new PollingError(
      'UNAUTHORIZED',
      `${what}: PostgREST refused the token (${text}). Fix: pass the project's anon key to createClient and sign the user in, or refresh the session (supabase.auth) or the accessToken callback; polling retries by itself.`,
      { status },
    )
  }
  return new PollingError('REJECTED', `${what}: PostgREST refused the read (${text}). Fix: ${rejectionFix(error?.code, error?.message ?? '')}`, { status })
}
