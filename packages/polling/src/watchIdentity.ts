import { ANON_IDENTITY } from './readIdentity.js'
import { jwtSubject } from '@supasync/core'

interface AuthEvents {
  onAuthStateChange(callback: (event: string, session: { access_token?: string } | null) => void): {
    data: { subscription: { unsubscribe(): void } }
  }
}

function authEvents(client: unknown): AuthEvents | undefined {
  try {
    const auth = (client as { auth?: Partial<AuthEvents> } | null)?.auth
    return typeof auth?.onAuthStateChange === 'function' ? (auth as AuthEvents) : undefined
  } catch {
    // A client built with the `accessToken` option throws on any property of `auth`.
    return undefined
  }
}

/**
 * Calls `changed()` whenever the supabase-js client starts reading as another user (a sign-in after mount, a sign-out,
 * a switch of account): rows the new user may read but that did not change since the last poll would otherwise
 * appear only with the next periodic key sweep, and the previous user's rows would stay. The first event (supabase-js
 * sends `INITIAL_SESSION` at once) sets who the client reads as; a token refresh of the same user changes nothing.
 * Returns the unsubscribe; a client without Supabase Auth returns a no-op.
 */
export function watchIdentity(client: unknown, changed: () => void): () => void {
  const auth = authEvents(client)
  if (!auth) return () => {}
  let known: string | undefined
  let active = true
  const { data } = auth.onAuthStateChange((_event, session) => {
    if (!active) return
    const who = jwtSubject(session?.access_token) ?? ANON_IDENTITY
    const previous = known
    known = who
    if (previous !== undefined && previous !== who) changed()
  })
  return () => {
    active = false
    data.subscription.unsubscribe()
  }
}
