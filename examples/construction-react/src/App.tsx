import { Home } from './Home'
import { Header } from './Header'
import { ForemanView } from './foreman/ForemanView'
import { PmView } from './pm/PmView'
import type { Route } from './route'
import type { Session } from './session'

export function App({ session, route }: { session: Session; route: Route }) {
  switch (route.view) {
    case 'home':
      return <Home session={session} />
    case 'foreman':
      return <ForemanView session={session} projectId={route.projectId} />
    case 'pm':
      return <PmView session={session} projectId={route.projectId} />
    case 'not-found':
      return (
        <>
          <Header title="Not found" user={session.user} />
          <main className="home">
            <p>
              No screen at <code>{route.path}</code>. Try <a href={`/?user=${session.user}`}>the project list</a>.
            </p>
          </main>
        </>
      )
  }
}
