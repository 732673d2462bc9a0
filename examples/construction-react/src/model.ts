import type { LiveTableOptions } from '@supasync/polling'

/** A row of public.components (examples/demo-schema.sql). */
export interface Component {
  id: string
  project_id: number
  tag: string
  kind: string
  milestone: string
  status: string | null
  assigned_to: string | null
  updated_at: string
  updated_by: string | null
}

/** A row of public.milestone_events: written by a trigger on every milestone change. */
export interface MilestoneEvent {
  id: number
  project_id: number
  component_id: string
  tag: string
  from_milestone: string | null
  to_milestone: string
  by_user: string | null
  at: string
  updated_at: string
}

/**
 * The project's components, live. Every component asking for these options (the list, the badge, the progress bars)
 * shares one live table: options are compared by value.
 */
export const componentsTable = (projectId: number): LiveTableOptions<Component> => ({
  table: 'components',
  filter: { project_id: projectId },
})

/**
 * The project's milestone events, live. The polling migration stamps their `updated_at` (the cursor, as for every
 * polled table). Insert-only, never deleted one by one: no realtime DELETE subscription needed.
 */
export const eventsTable = (projectId: number): LiveTableOptions<MilestoneEvent> => ({
  table: 'milestone_events',
  filter: { project_id: projectId },
  realtimeDeletes: false,
})
