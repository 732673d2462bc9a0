/**
 * `npm start` as a newcomer runs it (issue #11, point 8): it prints who can see what, and it stops the whole stack
 * on SIGTERM and SIGHUP sent to npm (a process manager, a closed terminal), not only on Ctrl-C.
 */
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))

const portRefuses = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => (socket.destroy(), resolve(false)))
    socket.once('error', () => resolve(true))
  })

async function startAndSignal(signal: 'SIGTERM' | 'SIGHUP') {
  const npm = spawn('npm', ['start'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } })
  let output = ''
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const databaseUrl = /Database URL\s+(\S+)/.exec(output)?.[1]
  const apiUrl = /API URL\s+(\S+)/.exec(output)?.[1]
  if (!databaseUrl || !apiUrl) throw new Error(`no URLs in:\n${output}`)
  npm.kill(signal)
  await exited
  // The stack stops behind npm's back: Postgres and the HTTP front must be gone within a few seconds.
  const stopDeadline = Date.now() + 15_000
  while (!((await portRefuses(databaseUrl)) && (await portRefuses(apiUrl)))) {
    if (Date.now() > stopDeadline) throw new Error(`the stack still runs 15 s after ${signal} to npm start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return output
}

describe('npm start', () => {
  it('prints the demo projects, their members and the accessToken line with the Node 20 transport; stops on SIGTERM', async () => {
    const output = await startAndSignal('SIGTERM')
    expect(output).toContain('project 1 "North Refinery Revamp": 300 components, members: alice')
    expect(output).toContain('project 2 "Harbor LNG Module 7": 20 components, members: alice, bob')
    expect(output).toContain('project 3 "Delta Pipeline Megasite": 100000 components, members: alice, bob')
    expect(output).toMatch(/construction  http:\/\/127\.0\.0\.1:\d+/)
    expect(output).toContain("accessToken: async () => '<alice token>'")
    expect(output).toContain('realtime: { transport: ws }')
  }, 90_000)

  it('stops the stack on SIGHUP to npm', async () => {
    await startAndSignal('SIGHUP')
  }, 90_000)
})
