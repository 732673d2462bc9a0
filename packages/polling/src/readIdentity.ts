import { jwtSubject } from '@supasync/core'

/** The identity of a client without a signed-in user (it sends the anon or publishable key). */
export const ANON_IDENTITY = 'anon'

interface SessionAuth {
  getSession(): Promise<{ data: { session: { access_token?: string } | null }; error: unknown }>
}

interface ClientShape {
  auth?: unknown
  realtime?: { accessToken?: unknown }
}

/** `client.auth` when it is Supabase Auth; undefined for a client built with the `accessToken` option, whose `auth` throws on any property. */
function sessionAuth(client: ClientShape): SessionAuth | undefined {
  try {
    const auth = client.auth as Partial<SessionAuth> | undefined
    return typeof auth?.getSession === 'function' ? (auth as SessionAuth) : undefined
  } catch {
    return undefined
  }
}

/**
 * Who a supabase-js client reads as: the `sub` of the JWT it sends (the signed-in user's id), or `'anon'`. Asks
 * the same source the client's own requests use: `auth.getSession()` for a client with Supabase Auth, else the
 * token callback its realtime client holds (supabase-js wires the `accessToken` option there). Anything else (a
 * bare PostgREST host) reads as `'anon'`. Rejects when the session cannot be loaded (e.g. an expired session that
 * cannot be refreshed offline): the identity is unknown then, which is not the same as signed out.
 */
export async function readIdentity(client: unknown): Promise<string> {
  if (client === null || typeof client !== 'object') return ANON_IDENTITY
  const shape = client as ClientShape
  const auth = sessionAuth(shape)
  if (auth) {
    const { data, error } = await auth.getSession()
    if (error) throw error
    return jwtSubject(data.session?.access_token) ?? ANON_IDENTITY
  }
  const accessToken = shape.realtime?.accessToken
  if (typeof accessToken === 'function') return jwtSubject(await (accessToken as () => Promise<unknown>)()) ?? ANON_IDENTITY
  return ANON_IDENTITY
}
