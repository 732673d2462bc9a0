import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { JwtClaims } from '../jwt.js'

/**
 * Who asks, about which topic: what the real server puts in the session before running the app's policies on
 * `realtime.messages` (supabase/realtime lib/realtime/tenants/authorization.ex set_conn_config/2).
 */
export interface AuthorizationContext {
  /** The channel topic without `realtime:`; `realtime.topic()` returns it. */
  subTopic: string
  role: string
  claims: JwtClaims
  /** For WebSocket joins the upgrade request's `x-*` headers; for REST all request headers. */
  headers: Record<string, string>
}

export type PolicyExtension = 'broadcast' | 'presence' | 'persistence'

/** Why a check could not answer. Mapped to the server's texts by the callers. */
export class AuthorizationError extends Error {
  override name = 'AuthorizationError'
  constructor(
    readonly kind: 'missing_partition' | 'rls_policy_error' | 'database',
    message: string,
  ) {
    super(message)
  }
}

const SET_CONFIG =
  "select set_config('role', $1, true), set_config('realtime.topic', $2, true), set_config('request.jwt.claims', $3, true), " +
  "set_config('request.jwt.claim.sub', $4, true), set_config('request.jwt.claim.role', $5, true), set_config('request.headers', $6, true)"

function classify(error: unknown): AuthorizationError {
  const { code, table, message } = error as { code?: string; table?: string; message?: string }
  // check_violation on messages: no partition for today's rows (handle_policies_result/2).
  if (code === '23514' && (table === undefined || table.startsWith('messages'))) {
    return new AuthorizationError('missing_partition', 'Realtime was unable to find the expected messages partition')
  }
  // Postgres errors (a policy that fails, an unknown role: invalid_parameter_value) are policy errors.
  if (typeof code === 'string' && code.length === 5) return new AuthorizationError('rls_policy_error', message ?? String(error))
  return new AuthorizationError('database', message ?? String(error))
}

/**
 * Runs the app's RLS policies on `realtime.messages` for a private channel the way the real server does: read
 * access is whether probe rows inserted for the topic are visible to the user's SELECT policies, write access is
 * whether the user may INSERT such a row. Every probe is rolled back; nothing is stored.
 */
export class Authorization {
  constructor(private readonly pool: pg.Pool) {}

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw new AuthorizationError('database', error instanceof Error ? error.message : String(error))
    }
    // A checked-out client has no pool listener: a session ended by the server (a restart, pg_terminate_backend)
    // would otherwise be an uncaught 'error' that ends the process. The failing query rejects anyway.
    const ignore = () => undefined
    client.on('error', ignore)
    let broken = false
    try {
      await client.query('begin')
      return await work(client)
    } catch (error) {
      throw error instanceof AuthorizationError ? error : classify(error)
    } finally {
      await client.query('rollback').catch(() => {
        broken = true
      })
      client.off('error', ignore)
      // A connection that cannot even roll back is not given to the next check.
      client.release(broken)
    }
  }

  private setConfig(client: pg.PoolClient, context: AuthorizationContext): Promise<unknown> {
    const { claims } = context
    return client.query(SET_CONFIG, [
      context.role,
      context.subTopic,
      JSON.stringify(claims),
      typeof claims.sub === 'string' ? claims.sub : null,
      context.role,
      JSON.stringify(context.headers),
    ])
  }

  /**
   * Read access per extension (get_read_policies_for_connection/4): the probes are inserted before the role
   * switch, then selected as the user. Presence is checked only when asked for.
   */
  async read(context: AuthorizationContext, extensions: ('broadcast' | 'presence')[]): Promise<Partial<Record<'broadcast' | 'presence', boolean>>> {
    return this.inTransaction(async (client) => {
      const probes = extensions.map((extension) => ({ extension, id: randomUUID() }))
      await client.query(
        `insert into realtime.messages (id, topic, extension) select * from unnest($1::uuid[], $2::text[], $3::text[])`,
        [probes.map((probe) => probe.id), probes.map(() => context.subTopic), probes.map((probe) => probe.extension)],
      )
      await this.setConfig(client, context)
      const { rows } = await client.query<{ id: string }>('select id from realtime.messages where id = any($1::uuid[])', [
        probes.map((probe) => probe.id),
      ])
      const visible = new Set(rows.map((row) => row.id))
      return Object.fromEntries(probes.map((probe) => [probe.extension, visible.has(probe.id)]))
    })
  }

  /**
   * Write access per extension (get_write_policies_for_connection/4): an INSERT as the user in a savepoint, without
   * RETURNING so SELECT policies do not interfere; an RLS violation (42501) means no.
   */
  async write(context: AuthorizationContext, extensions: PolicyExtension[]): Promise<Partial<Record<PolicyExtension, boolean>>> {
    return this.inTransaction(async (client) => {
      await this.setConfig(client, context)
      const result: Partial<Record<PolicyExtension, boolean>> = {}
      for (const extension of extensions) {
        await client.query('savepoint probe')
        try {
          await client.query('insert into realtime.messages (topic, extension) values ($1, $2)', [context.subTopic, extension])
          result[extension] = true
        } catch (error) {
          if ((error as { code?: string }).code !== '42501') throw error
          result[extension] = false
        }
        await client.query('rollback to savepoint probe')
      }
      return result
    })
  }
}
