// Child process for the fan-out benchmark: N sockets, each its own WebSocket, receiving every insert into
// bench_events. Runs apart from the stack so that client-side work does not compete with the server's event loop.
// kind "raw": a minimal Phoenix client over `ws` (what the stack itself costs); kind "realtime-js": one
// RealtimeClient per socket (what an app sees, realtime-js's own processing included).
// path "postgres_changes": one public channel per socket (bench-<n>) with an INSERT binding on bench_events, as
// anon. path "database broadcast": every socket joins the private topic `bench` with its own user's token; the rows
// arrive as broadcasts from the table's realtime.broadcast_changes trigger (binary kind-4 frames on vsn 2.0.0).
// Latency is measured from the row's `sent_at` (ms since epoch, clock_timestamp() at insert) on both paths; the
// postgres_changes path also records it from commit_timestamp, for comparison with earlier runs.
import { RealtimeClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { sendToParent } from './ipc.js'

export type FanOutPath = 'postgres_changes' | 'database broadcast'

const [url, apikey, socketsText, kind, path, tokensJson] = process.argv.slice(2) as [string, string, string, 'raw' | 'realtime-js', FanOutPath, string]
const sockets = Number(socketsText)
/** One user token per socket (database broadcast path). */
const tokens = JSON.parse(tokensJson ?? '[]') as string[]
const BROADCAST_TOPIC = 'bench'
const latencies: number[] = []
const commitLatencies: number[] = []
let lastDeliveryAt = 0
const closers: (() => Promise<void> | void)[] = []

const send = sendToParent
const record = (sentAt: number) => {
  const now = Date.now()
  latencies.push(now - sentAt)
  lastDeliveryAt = now
}
const SENT_AT = Buffer.from('"sent_at":')

/** The number after `"sent_at":` in a frame, found without parsing the frame, as cheaply as a lean client would. */
function sentAtOf(frame: Buffer): number | undefined {
  const at = frame.indexOf(SENT_AT)
  if (at < 0) return undefined
  let value = 0
  for (let index = at + SENT_AT.length; index < frame.length; index++) {
    const digit = frame[index]! - 48
    if (digit < 0 || digit > 9) break
    value = value * 10 + digit
  }
  return value
}

function rawSocket(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${apikey}&vsn=2.0.0`)
    let heartbeat: ReturnType<typeof setInterval> | undefined
    closers.push(() => {
      clearInterval(heartbeat)
      ws.close()
    })
    ws.on('open', () => {
      if (path === 'postgres_changes') {
        const config = { postgres_changes: [{ event: 'INSERT', schema: 'public', table: 'bench_events' }] }
        ws.send(JSON.stringify(['1', '1', `realtime:bench-${index}`, 'phx_join', { config }]))
      } else {
        const config = { broadcast: { ack: false, self: false }, presence: { enabled: false }, postgres_changes: [], private: true }
        ws.send(JSON.stringify(['1', '1', `realtime:${BROADCAST_TOPIC}`, 'phx_join', { config, access_token: tokens[index] }]))
      }
      heartbeat = setInterval(() => ws.send('[null,"hb","phoenix","heartbeat",{}]'), 25_000)
    })
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // Database broadcasts: kind-4 user broadcast frames (vsn 2.0.0); a vsn 1 socket would get JSON text.
      if (isBinary) {
        if (data[0] !== 4) return
        const sentAt = sentAtOf(data)
        if (sentAt !== undefined) record(sentAt)
        return
      }
      const sentAt = sentAtOf(data)
      if (sentAt !== undefined) {
        record(sentAt)
        if (path === 'postgres_changes') {
          const text = data.toString()
          const at = text.indexOf('"commit_timestamp":"')
          if (at >= 0) commitLatencies.push(Date.now() - Date.parse(text.slice(at + 20, at + 44)))
        }
        return
      }
      const text = data.toString()
      if (path === 'postgres_changes') {
        if (text.includes('Subscribed to PostgreSQL')) resolve()
      } else if (text.startsWith('["1","1"') && text.includes('"phx_reply"')) {
        if (text.includes('"status":"ok"')) resolve()
        else reject(new Error(`join of the private topic refused: ${text}`))
      }
    })
    ws.on('error', reject)
  })
}

async function realtimeJsSocket(index: number): Promise<void> {
  const client = new RealtimeClient(`${url.replace('http', 'ws')}/realtime/v1`, { params: { apikey }, transport: WebSocket as never })
  closers.push(async () => {
    await client.removeAllChannels()
    client.disconnect()
  })
  if (path === 'postgres_changes') {
    return new Promise<void>((resolve) => {
      client
        .channel(`bench-${index}`)
        .on(
          'postgres_changes' as never,
          { event: 'INSERT', schema: 'public', table: 'bench_events' } as never,
          (change: { commit_timestamp: string; new: { sent_at: number } }) => {
            record(change.new.sent_at)
            commitLatencies.push(Date.now() - Date.parse(change.commit_timestamp))
          },
        )
        .on('system' as never, {} as never, () => resolve())
        .subscribe()
    })
  }
  await client.setAuth(tokens[index]!)
  return new Promise<void>((resolve, reject) => {
    client
      .channel(BROADCAST_TOPIC, { config: { private: true } })
      .on('broadcast', { event: 'INSERT' }, (message) => record((message.payload as { record: { sent_at: number } }).record.sent_at))
      .subscribe((status, error) => {
        if (status === 'SUBSCRIBED') resolve()
        else reject(new Error(`join of the private topic: ${status} ${error?.message ?? ''}`))
      })
  })
}

await Promise.all(Array.from({ length: sockets }, (_, index) => (kind === 'raw' ? rawSocket(index) : realtimeJsSocket(index))))
// CPU of this process from here to the report: how busy the clients were (a saturated client process queues
// frames, which shows up as latency that is not the server's).
const cpuAtReady = process.cpuUsage()
await send({ type: 'ready' })

process.on('message', async (message: { type: string; expected: number; timeoutMs: number }) => {
  if (message.type !== 'finish') return
  const deadline = Date.now() + message.timeoutMs
  while (latencies.length < message.expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  const cpu = process.cpuUsage(cpuAtReady)
  await send({ type: 'result', latencies, commitLatencies, lastDeliveryAt, clientCpuMs: Math.round((cpu.user + cpu.system) / 1000) })
  for (const close of closers) await close()
  process.disconnect()
  process.exit(0)
})
