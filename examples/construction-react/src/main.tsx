import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { SupasyncProvider } from '@supasync/react'
import { SupasyncDevtools } from '@supasync/devtools/react'
import { App } from './App'
import { parseRoute } from './route'
import { session } from './session'
import './styles.css'
import { registerOfflineShell } from './offlineShell'

const root = createRoot(document.getElementById('root')!)

if (!session) {
  root.render(
    <main className="home">
      <h1>Site progress</h1>
      <p className="error">
        No dev sign-in here. Start the example with <code>npm start</code> at the repository root: it starts the local stack and
        serves this app with tokens for the demo users (dev only).
      </p>
    </main>,
  )
} else {
  registerOfflineShell()
  root.render(
    <StrictMode>
      <SupasyncProvider sync={session.sync} queue={session.queue}>
        <App session={session} route={parseRoute(location.pathname)} />
        {/* What this instance holds (socket, channels, live tables, the outbox): development only, nothing in a build. */}
        <SupasyncDevtools sync={session.sync} position="bottom-left" />
      </SupasyncProvider>
    </StrictMode>,
  )
}
