/** The milestones a component goes through on site, in order (the check constraint of components.milestone). */
export const MILESTONES = ['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'] as const

export type Milestone = (typeof MILESTONES)[number]

const LABELS: Record<Milestone, string> = {
  not_started: 'Not started',
  fabricated: 'Fabricated',
  delivered: 'Delivered',
  installed: 'Installed',
  welded: 'Welded',
  tested: 'Tested',
  done: 'Done',
}

export const milestoneLabel = (milestone: string) => LABELS[milestone as Milestone] ?? milestone

export const milestoneIndex = (milestone: string) => MILESTONES.indexOf(milestone as Milestone)

/** The milestone after this one; undefined for `done` (or an unknown value). */
export function nextMilestone(milestone: string): Milestone | undefined {
  const index = milestoneIndex(milestone)
  return index < 0 ? undefined : MILESTONES[index + 1]
}
