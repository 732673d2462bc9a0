/** The three screens, from `location.pathname` (no router library: links reload the page). */
export type Route =
  | { view: 'home' }
  | { view: 'foreman'; projectId: number }
  | { view: 'pm'; projectId: number }
  | { view: 'not-found'; path: string }

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/') return { view: 'home' }
  const match = /^\/(foreman|pm)\/(\d+)$/.exec(path)
  if (match) return { view: match[1] as 'foreman' | 'pm', projectId: Number(match[2]) }
  return { view: 'not-found', path }
}

/** A link to a screen that keeps the signed-in user. */
export const hrefOf = (view: 'foreman' | 'pm', projectId: number, user: string) => `/${view}/${projectId}?user=${encodeURIComponent(user)}`
