/**
 * The part of a supabase-js client that polling uses, described structurally so any 2.x client fits and tests
 * can see exactly which calls go out. `SupabaseClient` satisfies it.
 */
export interface PostgrestResult {
  data: unknown
  error: { message: string; code?: string; details?: string | null; hint?: string | null } | null
  status: number
}

export interface PostgrestQuery extends PromiseLike<PostgrestResult> {
  or(filters: string): PostgrestQuery
  eq(column: string, value: string): PostgrestQuery
  order(column: string, options?: { ascending?: boolean }): PostgrestQuery
  limit(count: number): PostgrestQuery
  abortSignal(signal: AbortSignal): PostgrestQuery
  /**
   * postgrest-js ≥ 2.100's own retries (a GET that fails on the network or with 503/520 is tried again after 1, 2
   * and 4 s). Polling turns them off: it retries on its own schedule, within its budget, and must see a failure at
   * once to report it. Absent on older clients.
   */
  retry?(enabled: boolean): PostgrestQuery
}

export interface PostgrestHost {
  schema(schema: string): {
    from(table: string): { select(columns?: string): PostgrestQuery }
    rpc(fn: string, args?: Record<string, unknown>): PostgrestQuery
  }
}
