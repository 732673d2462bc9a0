// Child process for the fan-out benchmark: N sockets subscribed to INSERTs on bench_events, each its own
// WebSocket. Runs apart from the stack so that client-side work does not compete with the server's event loop.
// kind "raw": a minimal Phoenix client over `ws` (what the stack itself costs); kind "realtime-js": one
// RealtimeClient per socket (what an app sees, realtime-js's own processing included).
import { RealtimeClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { sendToParent } from './ipc.js'

const [url, apikey, socketsText, kind] = process.argv.slice(2) as [string, string, string, 'raw' | 'realtime-js']
const sockets = Number(socketsText)
const latencies: number[] = []
const closers: (() => Promise<void> | void)[] = []

const send = sendToParent
const record = (commitTimestamp: string) => latencies.push(Date.now() - Date.parse(commitTimestamp))

function rawSocket(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${apikey}&vsn=2.0.0`)
    let heartbeat: ReturnType<typeof setInterval> | undefined
    closers.push(() => {
      clearInterval(heartbeat)
      ws.close()
    })
    ws.on('open', () => {
      const topic = `realtime:bench-${index}`
      ws.send(JSON.stringify(['1', '1', topic, 'phx_join', { config: { postgres_changes: [{ event: 'INSERT', schema: 'public', table: 'bench_events' }] } }]))
      heartbeat = setInterval(() => ws.send('[null,"hb","phoenix","heartbeat",{}]'), 25_000)
    })
    ws.on('message', (data) => {
      const text = data.toString()
      // Pull the timestamp out without a full parse first, as cheaply as a lean client would.
      const at = text.indexOf('"commit_timestamp":"')
      if (at >= 0) {
        record(text.slice(at + 20, at + 44))
      } else if (text.includes('Subscribed to PostgreSQL')) resolve()
    })
    ws.on('error', reject)
  })
}

function realtimeJsSocket(index: number): Promise<void> {
  const client = new RealtimeClient(`${url.replace('http', 'ws')}/realtime/v1`, { params: { apikey }, transport: WebSocket as never })
  closers.push(async () => {
    await client.removeAllChannels()
    client.disconnect()
  })
  return new Promise<void>((resolve) => {
    client
      .channel(`bench-${index}`)
      .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'bench_events' } as never, (change: { commit_timestamp: string }) =>
        record(change.commit_timestamp),
      )
      .on('system' as never, {} as never, () => resolve())
      .subscribe()
  })
}

await Promise.all(Array.from({ length: sockets }, (_, index) => (kind === 'raw' ? rawSocket(index) : realtimeJsSocket(index))))
await send({ type: 'ready' })

process.on('message', async (message: { type: string; expected: number; timeoutMs: number }) => {
  if (message.type !== 'finish') return
  const deadline = Date.now() + message.timeoutMs
  while (latencies.length < message.expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  await send({ type: 'result', latencies })
  for (const close of closers) await close()
  process.disconnect()
  process.exit(0)
})
