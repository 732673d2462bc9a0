import { MILESTONES, milestoneIndex, milestoneLabel } from './milestones'

/** The milestone as a coloured chip with its step (4/7); `pending` marks a change not yet saved on the server. */
export function MilestoneChip({ milestone, pending = false }: { milestone: string; pending?: boolean }) {
  return (
    <span className={`chip chip-${milestone}${pending ? ' chip-pending' : ''}`} title={pending ? 'Not saved yet: kept on this device until the server has it' : undefined}>
      {milestoneLabel(milestone)}
      <span className="chip-step">
        {milestoneIndex(milestone) + 1}/{MILESTONES.length}
      </span>
    </span>
  )
}
