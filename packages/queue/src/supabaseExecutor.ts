import type { SupabaseClient } from '@supabase/supabase-js'
import { RequestFailure, parseRetryAfter } from './requestFailure.js'
import type { Row } from './operations.js'

/** One PostgREST request, possibly carrying several queued writes (a batch). */
export type QueueRequest =
  | { kind: 'upsert'; schema?: string; table: string; rows: Row[]; onConflict: string; ignoreDuplicates: boolean }
  | { kind: 'update'; schema?: string; table: string; values: Row; match: Record<string, unknown>; in?: { column: string; values: unknown[] } }
  | { kind: 'delete'; schema?: string; table: string; match: Record<string, unknown>; in?: { column: string; values: unknown[] } }
  | { kind: 'rpc'; schema?: string; fn: string; args: Record<string, unknown> }

/**
 * Sends requests for the queue. Resolve when the server confirmed the write; throw a {@link RequestFailure} (status 0
 * for a network error) otherwise. Custom executors (an edge function, a test double) implement this.
 */
export interface QueueExecutor {
  execute(request: QueueRequest, signal: AbortSignal): Promise<void>
}

interface PostgrestResult {
  error: { message?: string; code?: string; details?: string | null; hint?: string | null } | null
  status: number
}

/** The parts of a postgrest-js builder the executor uses (typed loosely: table and function names are dynamic). */
interface Builder extends PromiseLike<PostgrestResult> {
  match(query: Record<string, unknown>): Builder
  in(column: string, values: readonly unknown[]): Builder
  abortSignal(signal: AbortSignal): Builder
  retry?(enabled: boolean): Builder
}

/**
 * The executor for a supabase-js client: inserts/upserts as `upsert` with `onConflict` on the id column (inserts
 * with `ignoreDuplicates`), updates/deletes with `match` (or `in` for a batch), RPCs with `rpc`. postgrest-js's own
 * retry is switched off so the queue's backoff is the only one. The response's `Retry-After` is read by wrapping
 * the builder's fetch (postgrest-js does not return headers).
 */
export function supabaseExecutor(supabase: SupabaseClient): QueueExecutor {
  return {
    async execute(request, signal) {
      const client = (request.schema ? supabase.schema(request.schema) : supabase) as unknown as {
        from(table: string): { upsert(rows: Row[], options: object): Builder; update(values: Row): Builder; delete(): Builder }
        rpc(fn: string, args: Record<string, unknown>): Builder
      }
      let builder: Builder
      switch (request.kind) {
        case 'upsert':
          builder = client.from(request.table).upsert(request.rows, { onConflict: request.onConflict, ignoreDuplicates: request.ignoreDuplicates, defaultToNull: false })
          break
        case 'update':
          builder = client.from(request.table).update(request.values)
          builder = request.in ? builder.in(request.in.column, request.in.values) : builder
          builder = Object.keys(request.match).length > 0 ? builder.match(request.match) : builder
          break
        case 'delete':
          builder = client.from(request.table).delete()
          builder = request.in ? builder.in(request.in.column, request.in.values) : builder
          builder = Object.keys(request.match).length > 0 ? builder.match(request.match) : builder
          break
        case 'rpc':
          builder = client.rpc(request.fn, request.args)
          break
      }
      builder = builder.abortSignal(signal)
      builder = builder.retry?.(false) ?? builder
      let retryAfter: string | null = null
      // postgrest-js keeps its fetch on the builder and reads it when the request starts (then()).
      const holder = builder as unknown as { fetch?: typeof fetch }
      const inner = holder.fetch ?? fetch
      holder.fetch = async (input, init) => {
        const response = await inner(input, init)
        retryAfter = response.headers.get('retry-after')
        return response
      }
      let result: PostgrestResult
      try {
        result = await builder
      } catch (error) {
        throw new RequestFailure({ status: 0, message: `Network error: ${String(error)}`, cause: error })
      }
      if (!result.error) return
      const { error, status } = result
      throw new RequestFailure({
        status,
        message: error.message || `HTTP ${status}`,
        pgCode: error.code,
        details: error.details ?? null,
        hint: error.hint ?? null,
        retryAfterMs: parseRetryAfter(retryAfter),
      })
    },
  }
}
