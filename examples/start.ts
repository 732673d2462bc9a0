/**
 * `npm start`: the local stack with the demo schema and seed, and both example apps on Vite dev servers, until Ctrl-C.
 * Dev only: the apps sign in with tokens the stack signs (see examples/README.md).
 */
import { stackSummary, untilStopSignal } from '@supasync/local'
import { startDemo } from './dev/startDemo.js'
import { USERS } from './dev/users.js'

const startedAt = Date.now()
const demo = await startDemo({ log: process.env.SUPASYNC_VERBOSE ? (line) => process.stderr.write(`${line.trimEnd()}\n`) : undefined })
const apps: string[] = []
if (demo.urls.construction) {
  apps.push(`  construction  ${demo.urls.construction}`)
  apps.push(`      foreman (phone):   ${demo.urls.construction}/foreman/3?user=alice   (100,000 components; works offline)`)
  apps.push(`      PM (desktop):      ${demo.urls.construction}/pm/3?user=bob`)
}
if (demo.urls.wedding) {
  apps.push(`  wedding       ${demo.urls.wedding}`)
  apps.push(`      a vendor:          ${demo.urls.wedding}/wedding/1?vendor=photographer`)
  apps.push(`      another vendor:    ${demo.urls.wedding}/wedding/1?vendor=florist`)
}
console.log(`supasync demo is up (${Date.now() - startedAt} ms)

${apps.join('\n')}${apps.length ? '\n\n' : ''}${await stackSummary(demo.stack, Object.entries(USERS))}
Press Ctrl-C to stop.`)
const signal = await untilStopSignal()
console.log(`\nStopping (${signal})…`)
await demo.close()
console.log('Stopped.')
process.exit(0)
