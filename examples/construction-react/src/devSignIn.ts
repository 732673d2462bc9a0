/**
 * Dev-only sign-in. The launcher (examples/dev/startDemo.ts) signs a token per demo user with the local stack's JWT
 * secret and puts them into the page as `window.__SUPASYNC_DEV__`; `?user=alice|bob` picks one. A real app signs in
 * with Supabase Auth instead: never ship tokens in a page.
 */
import { USERS, type DevConfig } from '../../dev/users'

declare global {
  interface Window {
    /** Injected by the demo launcher before any module runs (dev only). */
    __SUPASYNC_DEV__?: DevConfig
  }
}

export type UserName = keyof typeof USERS

export const USER_NAMES = Object.keys(USERS) as UserName[]

const DISPLAY_NAMES: Record<string, string> = {
  [USERS.alice]: 'Alice',
  [USERS.bob]: 'Bob',
}

/** "Alice" for alice's user id, a short id for anyone else. */
export function displayName(userId: string | null | undefined): string {
  if (!userId) return 'someone'
  return DISPLAY_NAMES[userId] ?? userId.slice(0, 8)
}

export const isUserName = (value: string | null): value is UserName => value !== null && Object.hasOwn(USERS, value)

/** The user of `?user=` (alice when absent or unknown). */
export function userFromUrl(search = location.search): UserName {
  const value = new URLSearchParams(search).get('user')
  return isUserName(value) ? value : 'alice'
}

/** The same page as another user: a reload, so the client, supasync and the queue are created for them. */
export function urlForUser(user: UserName, href = location.href): string {
  const url = new URL(href)
  url.searchParams.set('user', user)
  return url.toString()
}

export const devConfig: DevConfig | undefined = typeof window === 'undefined' ? undefined : window.__SUPASYNC_DEV__

export { USERS }
