import { useEffect, useState } from 'react'
import type { Session } from './session'
import { Header } from './Header'
import { hrefOf } from './route'

interface Project {
  id: number
  name: string
}

/** The signed-in user's projects (RLS: the ones they are a member of), with a link to each screen. */
export function Home({ session }: { session: Session }) {
  const [projects, setProjects] = useState<Project[] | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => {
    void session.supabase
      .from('projects')
      .select('id, name')
      .order('id')
      .then(({ data, error: failure }) => {
        if (failure) setError(failure.message)
        else setProjects((data ?? []) as Project[])
      })
  }, [session])
  return (
    <>
      <Header title="Site progress" subtitle="supasync example · construction" user={session.user} />
      <main className="home">
        <p className="home-intro">
          The foreman&apos;s phone finds a component among 100,000 and advances its milestone, also without signal. The project
          manager&apos;s desktop shows progress live, how fresh it is, and what just happened.
        </p>
        {error && <p className="error">Could not read your projects: {error}</p>}
        {!projects && !error && <p className="muted">Loading your projects…</p>}
        {projects && projects.length === 0 && <p className="muted">{session.user} is not a member of any project.</p>}
        <ul className="home-projects">
          {projects?.map((project) => (
            <li key={project.id} className="home-project">
              <div>
                <strong>{project.name}</strong>
                <span className="muted"> · project {project.id}</span>
              </div>
              <div className="home-links">
                <a href={hrefOf('foreman', project.id, session.user)}>Foreman (phone)</a>
                <a href={hrefOf('pm', project.id, session.user)}>Project manager (desktop)</a>
              </div>
            </li>
          ))}
        </ul>
        <p className="muted small">
          Dev only: you are signed in with a token the local stack signed for <code>{session.user}</code>; switch with the picker
          (or <code>?user=alice|bob</code>). A real app signs in with Supabase Auth.
        </p>
      </main>
    </>
  )
}
