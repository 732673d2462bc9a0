import type { LiveTableOptions } from '@supasync/polling'
import { useLiveTable } from '@supasync/react'
import { displayName } from '../devSignIn'
import { milestoneLabel } from '../milestones'
import type { MilestoneEvent } from '../model'
import { clockTime } from '../relativeTime'

const LATEST = 20

/** The newest events (highest ids: the identity follows the order of the writes), newest first. */
function latest(rows: ReadonlyMap<string, MilestoneEvent>): readonly MilestoneEvent[] {
  const top: MilestoneEvent[] = []
  for (const event of rows.values()) {
    if (top.length === LATEST && event.id <= top[LATEST - 1]!.id) continue
    let at = top.findIndex((other) => other.id < event.id)
    if (at < 0) at = top.length
    top.splice(at, 0, event)
    if (top.length > LATEST) top.pop()
  }
  return top
}

const sameEvents = (a: readonly MilestoneEvent[], b: readonly MilestoneEvent[]) => a.length === b.length && a.every((event, at) => event === b[at])

/** What just happened on site: the project's latest milestone changes, live (milestone_events as a live table). */
export function NotificationFeed({ table, onPick }: { table: LiveTableOptions<MilestoneEvent>; onPick: (tag: string) => void }) {
  const { rows: events, loading, error } = useLiveTable(table, { select: latest, isEqual: sameEvents })
  return (
    <section className="panel feed" aria-label="Notifications">
      <h2>Latest changes</h2>
      {error && events.length === 0 && <p className="error small">{error.message}</p>}
      {!loading && events.length === 0 && <p className="muted small">Nothing yet. Advance a component on the foreman&apos;s phone.</p>}
      <ol className="feed-list">
        {events.map((event) => (
          <li key={event.id} className="notification" data-testid="notification" data-id={event.id} data-component-id={event.component_id} data-tag={event.tag} data-milestone={event.to_milestone}>
            <button type="button" className="notification-tag" onClick={() => onPick(event.tag)} title="Show this component">
              {event.tag}
            </button>
            <span className="notification-text">
              {milestoneLabel(event.from_milestone ?? '')} → <strong>{milestoneLabel(event.to_milestone)}</strong>
            </span>
            <span className="notification-meta">
              {displayName(event.by_user)} · {clockTime(event.at)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  )
}
