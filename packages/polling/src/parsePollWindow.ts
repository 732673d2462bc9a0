import type { PollWindow } from './RestReader.js'
import { parseVersion } from './versions.js'

/**
 * What public.supasync_watermark() answers (migration section 6), alone or as the `window` of
 * public.supasync_poll() (section 8), as a {@link PollWindow}; undefined when it holds no timestamp.
 * `complete` is false when the function's owner could not see other sessions (its watermark is then just now()).
 */
export function parsePollWindow(data: unknown): { window: PollWindow; complete: boolean } | undefined {
  // An older copy of the migration returned the bare timestamp. The server clock (`now`) it also returns is not
  // used: bounding a read by it loses every row updated after it (see RestReader.readChanged).
  const answer = data as { watermark?: unknown; complete?: unknown; access?: unknown } | string | null | undefined
  const watermark = parseVersion(typeof answer === 'string' ? answer : answer?.watermark)
  if (watermark === undefined) return undefined
  const complete = typeof answer === 'string' || answer?.complete !== false
  const access = typeof answer === 'object' && answer !== null && answer.access && typeof answer.access === 'object' ? (answer.access as Record<string, unknown>) : undefined
  return {
    complete,
    window: {
      watermark,
      access: access && { sub: typeof access.sub === 'string' ? access.sub : null, user: parseVersion(access.user), all: parseVersion(access.all), tracked: access.tracked === true },
    },
  }
}
