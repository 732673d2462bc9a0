import { useMemo, useState } from 'react'
import { FreshnessBadge } from '../FreshnessBadge'
import { Header } from '../Header'
import { componentsTable, eventsTable } from '../model'
import type { Session } from '../session'
import { useProjectName } from '../useProjectName'
import { ComponentTable } from './ComponentTable'
import { MilestoneProgress } from './MilestoneProgress'
import { NotificationFeed } from './NotificationFeed'

/** The project manager's desktop: progress per milestone, every component live, and the latest changes. */
export function PmView({ session, projectId }: { session: Session; projectId: number }) {
  const components = useMemo(() => componentsTable(projectId), [projectId])
  const events = useMemo(() => eventsTable(projectId), [projectId])
  const projectName = useProjectName(session.supabase, projectId)
  const [query, setQuery] = useState('')
  return (
    <div className="screen pm">
      <Header title={projectName} subtitle="Project manager" user={session.user}>
        <FreshnessBadge table={components} />
      </Header>
      <main className="pm-grid">
        <MilestoneProgress table={components} />
        <ComponentTable table={components} query={query} onQuery={setQuery} />
        <NotificationFeed table={events} onPick={setQuery} />
      </main>
    </div>
  )
}
