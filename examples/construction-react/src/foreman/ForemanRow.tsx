import { memo } from 'react'
import { MilestoneChip } from '../MilestoneChip'
import { milestoneLabel, nextMilestone } from '../milestones'
import type { Component } from '../model'

/** One component on the phone: select, tag, milestone (optimistic while unsaved), advance to the next milestone. */
export const ForemanRow = memo(function ForemanRow({
  row,
  milestone,
  unsaved,
  selected,
  onAdvance,
  onToggle,
}: {
  row: Component
  milestone: string
  unsaved: boolean
  selected: boolean
  onAdvance: (row: Component, milestone: string) => void
  onToggle: (id: string) => void
}) {
  const next = nextMilestone(milestone)
  return (
    <div className={`row foreman-row${selected ? ' row-selected' : ''}`} data-testid="component" data-id={row.id} data-tag={row.tag} data-milestone={milestone} data-unsaved={unsaved || undefined}>
      <input type="checkbox" className="row-select" data-testid="select" checked={selected} onChange={() => onToggle(row.id)} aria-label={`Select ${row.tag}`} />
      <div className="row-main">
        <span className="row-tag">{row.tag}</span>
        <span className="row-kind">{row.kind.replace('_', ' ')}</span>
      </div>
      <MilestoneChip milestone={milestone} pending={unsaved} />
      <button type="button" className="advance" data-testid="advance" disabled={!next} onClick={() => onAdvance(row, milestone)} aria-label={next ? `Advance ${row.tag} to ${milestoneLabel(next)}` : `${row.tag} is done`}>
        {next ? `→ ${milestoneLabel(next)}` : '✓'}
      </button>
    </div>
  )
})
