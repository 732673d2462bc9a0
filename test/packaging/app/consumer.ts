/**
 * A user's app, as the packaging test installs it from the tarballs: copied there as `consumer.ts` (ESM) and as
 * `consumer.cts` (CommonJS: the same imports compile to `require()`), type-checked under `moduleResolution` `bundler`
 * and `node16` with `skipLibCheck: false`, then run against a local stack (`STACK_URL`, `STACK_KEY`). It prints one
 * line per step, so a failure names the step, and `PACKAGING-CONSUMER-OK` at the end.
 * In the repository it type-checks against the sources, like every other file under test/.
 */
import { createClient } from '@supabase/supabase-js'
import { createSupasync, SupasyncError } from '@supasync/core'
import { createPresence } from '@supasync/presence'
import { createQueue, memoryStorage, QueueError, supabaseExecutor } from '@supasync/queue'
import { fileStorage } from '@supasync/queue/node'
import { memoryCache } from '@supasync/cache'
import { createLiveTable } from '@supasync/polling'
import { instrumentSupasync } from '@supasync/otel'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { startLocalStack } from '@supasync/local'
import { SupasyncProvider, useConnectionStatus, useLiveTable } from '@supasync/react'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { SupasyncPlugin, useLiveTable as useLiveTableVue } from '@supasync/vue'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString as renderVueToString } from 'vue/server-renderer'
import WebSocket from 'ws'

type Item = { id: string; project_id: number; label: string; updated_at: string }

const step = (name: string) => console.log(`step: ${name}`)

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function expectSupasyncError(what: string, run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (error instanceof SupasyncError) return
    throw new Error(`${what}: threw something that is not instanceof SupasyncError of this app's @supasync/core (two copies of core?): ${String(error)}`)
  }
  throw new Error(`${what}: did not throw`)
}

async function main(): Promise<void> {
  const url = process.env.STACK_URL
  const key = process.env.STACK_KEY
  if (!url || !key) throw new Error('STACK_URL and STACK_KEY must be set')
  const tag = process.env.CONSUMER_TAG ?? 'consumer'

  step('imports')
  if (typeof startLocalStack !== 'function' || typeof fileStorage !== 'function') throw new Error('@supasync/local or @supasync/queue/node did not load')

  const supabase = createClient(url, key, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } })
  const sync = createSupasync(supabase)

  step('otel')
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const stopMetrics = instrumentSupasync(sync, { meterProvider })

  step('changes')
  const changed: string[] = []
  const lease = sync.changes({ table: 'packaging_items', event: '*' }, (change) => {
    const row = change.new as Partial<Item> | undefined
    if (row?.id) changed.push(row.id)
  })

  step('room')
  const room = sync.channel(`packaging:${tag}`, { broadcast: { self: true, ack: true } })
  const heard: unknown[] = []
  room.on('ping', (payload) => heard.push(payload))
  const sent = await room.send('ping', { from: tag })
  if (sent !== 'ok') throw new Error(`room.send answered ${sent}`)
  await until('the broadcast to come back', () => heard.length > 0)

  step('presence')
  const presence = createPresence(sync, `presence:${tag}`, { key: tag, state: { role: 'tester' } })
  await until('this connection to be a member', () => presence.members.get().some((member) => member.self))
  expectSupasyncError('presence.update with a BigInt', () => presence.update({ count: BigInt(1) }))

  step('live table')
  const live = createLiveTable<Item>(sync, { supabase, table: 'packaging_items', filter: { project_id: 1 }, cache: memoryCache<Item>(), maxStalenessMs: 6_000 })
  await live.ready
  expectSupasyncError('createLiveTable with a bad filter', () => createLiveTable(sync, { supabase, table: 'packaging_items', filter: { 'no such column!': 1 } }))

  step('react: server render')
  function Items() {
    const { state } = useConnectionStatus()
    const { rows } = useLiveTable<Item>({ supabase, table: 'packaging_items', filter: { project_id: 1 } })
    return createElement('p', null, `${state}:${rows.size}`)
  }
  const html = renderToString(createElement(SupasyncProvider, { sync }, createElement(Items)))
  // The server snapshot: no live table is opened while rendering on the server.
  if (html !== '<p>connecting:0</p>') throw new Error(`renderToString gave ${html}`)

  step('vue: server render')
  const VueItems = defineComponent({
    setup() {
      const { rows } = useLiveTableVue<Item>({ supabase, table: 'packaging_items', filter: { project_id: 1 } })
      return () => h('p', `rows:${rows.value.size}`)
    },
  })
  const vueHtml = await renderVueToString(createSSRApp(VueItems).use(SupasyncPlugin, { sync }))
  if (vueHtml !== '<p>rows:0</p>') throw new Error(`vue renderToString gave ${vueHtml}`)

  step('queued write')
  const queue = createQueue({ executor: supabaseExecutor(supabase), storage: memoryStorage(), sync })
  const id = `${tag}-${Date.now()}`
  await queue.enqueue({ table: 'packaging_items', type: 'insert', rows: [{ id, project_id: 1, label: 'queued' }] })
  await queue.flush()
  await until('the queue to be empty', () => queue.status.get().pending === 0)
  const refused = await queue.enqueue({ table: 'packaging_items', type: 'insert', rows: [{ id: 'x', project_id: 1, label: BigInt(1) }] }).catch((error: unknown) => error)
  if (!(refused instanceof QueueError) || !(refused instanceof SupasyncError)) throw new Error(`enqueue of a BigInt: expected a QueueError that is a SupasyncError, got ${String(refused)}`)

  step('the write reaches the live table and the changes lease')
  await until('the queued row in the live table', () => live.get(id)?.label === 'queued')
  await until('the queued row on the changes lease', () => changed.includes(id))

  step('otel: joins recorded, listener released')
  await reader.forceFlush()
  const metrics = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((scope) => scope.metrics) ?? []
  const joins = metrics.find((metric) => metric.descriptor.name === 'supasync.channel.join.duration')
  if (!joins || joins.dataPoints.length === 0) throw new Error(`no supasync.channel.join.duration recorded; got ${metrics.map((metric) => metric.descriptor.name).join(', ')}`)
  stopMetrics()
  if (sync.diagnostics().eventListeners !== 0) throw new Error('instrumentSupasync left its listener behind')
  await meterProvider.shutdown()

  lease.release()
  room.release()
  presence.leave()
  live.destroy()
  queue.destroy()
  await sync.destroy()
  await supabase.removeAllChannels()
  console.log('PACKAGING-CONSUMER-OK')
}

const watchdog = setTimeout(() => {
  console.error('consumer: still running after 45 s')
  process.exit(3)
}, 45_000)
watchdog.unref()

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(1)
  },
)
