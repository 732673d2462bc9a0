import { createApp } from 'vue'
import { SupasyncPlugin } from '@supasync/vue'
import App from './App.vue'
import Home from './Home.vue'
import Problem from './Problem.vue'
import { devConfig, signIn, signInProblem } from './devSignIn'
import { parseRoute } from './route'
import './styles.css'

const route = parseRoute(location.pathname, location.search)

if (route.name === 'vendor') {
  const problem = signInProblem(devConfig, route.vendorKey)
  if (problem || !devConfig) {
    createApp(Problem, { title: 'Cannot sign in', message: problem }).mount('#app')
  } else {
    // One session per page load: switching vendor is a new page (a new client, supasync instance and outbox).
    const session = signIn(devConfig, route.vendorKey)
    createApp(App, { weddingId: route.weddingId, session })
      .use(SupasyncPlugin, { sync: session.sync, queue: session.queue })
      .mount('#app')
  }
} else if (route.name === 'home') {
  createApp(Home, { config: devConfig }).mount('#app')
} else {
  createApp(Problem, { title: 'Not found', message: route.reason }).mount('#app')
}
