import type { LiveTableOptions } from '@supasync/polling'
import { useLiveTable } from '@supasync/react'
import { MILESTONES, milestoneLabel } from '../milestones'
import type { Component } from '../model'

type Counts = readonly number[]

const POSITION: Readonly<Record<string, number>> = Object.fromEntries(MILESTONES.map((milestone, at) => [milestone, at]))

/** Components per milestone, in MILESTONES order. One pass over the rows (100,000 take a few milliseconds). */
function countByMilestone(rows: ReadonlyMap<string, Component>): Counts {
  const counts = MILESTONES.map(() => 0)
  for (const row of rows.values()) {
    const at = POSITION[row.milestone]
    if (at !== undefined) counts[at]!++
  }
  return counts
}

const sameCounts = (a: Counts, b: Counts) => a.length === b.length && a.every((count, at) => count === b[at])

/**
 * A bar per milestone and the overall progress. Selects only the counts from the shared live table, so it re-renders
 * only when a count changes.
 */
export function MilestoneProgress({ table }: { table: LiveTableOptions<Component> }) {
  const { rows: counts, loading } = useLiveTable(table, { select: countByMilestone, isEqual: sameCounts })
  const total = counts.reduce((sum, count) => sum + count, 0)
  // Overall progress: each component counts for the share of its steps done (not started 0 … done 1).
  const steps = counts.reduce((sum, count, at) => sum + count * at, 0)
  const overall = total === 0 ? 0 : steps / (total * (MILESTONES.length - 1))
  const share = (count: number) => (total === 0 ? 0 : (count / total) * 100)
  return (
    <section className="panel progress" aria-label="Progress per milestone">
      <div className="progress-overall">
        <span className="progress-overall-value" data-testid="overall-progress">
          {loading && total === 0 ? '–' : `${(overall * 100).toFixed(1)} %`}
        </span>
        <span className="muted">overall · {total.toLocaleString()} components</span>
      </div>
      <div className="progress-stack" aria-hidden="true">
        {MILESTONES.map((milestone, at) => (
          <span key={milestone} className={`chip-${milestone}`} style={{ width: `${share(counts[at] ?? 0)}%` }} title={milestoneLabel(milestone)} />
        ))}
      </div>
      <ul className="progress-bars">
        {MILESTONES.map((milestone, at) => (
          <li key={milestone} className="progress-bar" data-testid="milestone-count" data-milestone={milestone} data-count={counts[at] ?? 0}>
            <span className="progress-label">{milestoneLabel(milestone)}</span>
            <span className="progress-track">
              <span className={`progress-fill chip-${milestone}`} style={{ width: `${share(counts[at] ?? 0)}%` }} />
            </span>
            <span className="progress-count">
              <span className="progress-share">{share(counts[at] ?? 0).toFixed(0)} %</span>
              {(counts[at] ?? 0).toLocaleString()}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
