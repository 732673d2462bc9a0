/**
 * instrumentSupasync over a real core instance (a fake realtime client and a manual clock play the server), read back
 * through the OpenTelemetry SDK's in-memory exporter.
 */
import { readFileSync } from 'node:fs'
import { metrics } from '@opentelemetry/api'
import { DataPointType } from '@opentelemetry/sdk-metrics'
import type { SupasyncEvent } from '@supasync/core'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeSupasync, flush } from '../../core/test/fakeRealtime.js'
import { instrumentSupasync, SCOPE_NAME, SCOPE_VERSION, SUPASYNC_ATTRIBUTES, SUPASYNC_METRICS } from '../src/index.js'
import { metricsHarness } from './metricsHarness.js'

const open: { shutdown(): Promise<void> }[] = []
function harness() {
  const created = metricsHarness()
  open.push(created)
  return created
}
afterEach(async () => {
  for (const item of open.splice(0)) await item.shutdown()
  metrics.disable()
})

const ROOM = { 'supasync.channel.kind': 'room', 'supasync.channel.private': false }

describe('instrumentSupasync on a core instance', () => {
  it('records status changes, reconnects, joins and closes with exact values', async () => {
    const { realtime, sync, advance } = fakeSupasync({ graceMs: 1000 })
    const otel = harness()
    const events: SupasyncEvent[] = []
    const record = sync.onEvent((event) => events.push(event))
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    const room = sync.channel('wedding:42')
    await flush()
    await advance(250)
    realtime.byTopic('wedding:42').at(-1)!.joined() // join after 250 ms; live
    realtime.heartbeatOk()
    await flush()
    realtime.heartbeatTimeout() // degraded
    await flush()
    await advance(100)
    await realtime.sendHeartbeat()
    realtime.heartbeatOk() // live again: a reconnect
    await flush()
    realtime.byTopic('wedding:42').at(-1)!.serverClose('Too many messages per second') // degraded
    await advance(5000)
    realtime.byTopic('wedding:42').at(-1)!.joined() // the re-created channel, 4300 ms after it was opened; live
    realtime.heartbeatOk()
    await flush()
    room.release()
    await advance(1500) // the grace period: left

    const got = await otel.collect()
    const changes = 'supasync.connection.state_changes'
    const state = (to: string, from: string) => ({ 'supasync.connection.state': to, 'supasync.connection.previous_state': from })
    expect(got.value(changes, state('connecting', 'live'))).toBe(1) // an idle instance is live; a channel opens
    expect(got.value(changes, state('live', 'connecting'))).toBe(1)
    expect(got.value(changes, state('degraded', 'live'))).toBe(2)
    expect(got.value(changes, state('live', 'degraded'))).toBe(2)
    expect(got.attributeSets(changes)).toHaveLength(4)
    // The first live is a connection, not a reconnect.
    expect(got.attributeSets('supasync.connection.reconnects')).toEqual([{ 'supasync.connection.previous_state': 'degraded' }])
    expect(got.value('supasync.connection.reconnects', { 'supasync.connection.previous_state': 'degraded' })).toBe(2)
    // The re-created channel opened after a jittered backoff: its join took what the event says, under 5 s.
    const rejoin = events.filter((event) => event.type === 'join')[1] as { ms: number }
    expect(rejoin.ms).toBeGreaterThan(0)
    expect(rejoin.ms).toBeLessThanOrEqual(5000)
    const joins = got.histogram('supasync.channel.join.duration', ROOM)
    expect(joins.count).toBe(2)
    expect(joins.sum).toBeCloseTo(0.25 + rejoin.ms / 1000, 9)
    const closed = (by: string, reason: string) => ({ 'supasync.channel.kind': 'room', 'supasync.channel.close.by': by, 'supasync.channel.close.reason': reason })
    expect(got.value('supasync.channel.closes', closed('server', 'rate_limit'))).toBe(1)
    expect(got.value('supasync.channel.closes', closed('release', 'none'))).toBe(1)
    expect(got.attributeSets('supasync.channel.closes')).toHaveLength(2)
    off()
    record()
    await sync.destroy()
  })

  it('counts a refused private room as refused/access, and adds topics only when asked (as they are, or mapped)', async () => {
    const { realtime, sync } = fakeSupasync()
    const plain = harness()
    const raw = harness()
    const mapped = harness()
    const offs = [
      instrumentSupasync(sync, { meterProvider: plain.meterProvider }),
      instrumentSupasync(sync, { meterProvider: raw.meterProvider, topics: true }),
      // A mapping to few values: the kind of room, and nothing for the lobby.
      instrumentSupasync(sync, { meterProvider: mapped.meterProvider, topics: (topic) => (topic.endsWith(':lobby') ? undefined : topic.split(':')[0]) }),
    ]
    sync.channel('vault:7f3a', { private: true })
    sync.channel('vault:lobby')
    await flush()
    realtime.byTopic('vault:7f3a').at(-1)!.refuse('Unauthorized: You do not have permissions to read from this Channel topic: vault:7f3a')
    realtime.byTopic('vault:lobby').at(-1)!.joined()
    await flush()

    const refused = { 'supasync.channel.kind': 'room', 'supasync.channel.close.by': 'refused', 'supasync.channel.close.reason': 'access' }
    const withoutTopics = await plain.collect()
    expect(withoutTopics.value('supasync.channel.closes', refused)).toBe(1)
    expect(withoutTopics.histogram('supasync.channel.join.duration', ROOM).count).toBe(1)
    for (const [name] of withoutTopics.metrics) for (const set of withoutTopics.attributeSets(name)) expect(Object.keys(set)).not.toContain(SUPASYNC_ATTRIBUTES.channelTopic)
    // Nothing of the server's words, which name the topic, reaches an attribute.
    expect(JSON.stringify([...withoutTopics.metrics.values()].map((metric) => metric.dataPoints))).not.toContain('7f3a')

    const withTopics = await raw.collect()
    expect(withTopics.value('supasync.channel.closes', { ...refused, 'supasync.channel.topic': 'vault:7f3a' })).toBe(1)
    expect(withTopics.histogram('supasync.channel.join.duration', { ...ROOM, 'supasync.channel.topic': 'vault:lobby' }).count).toBe(1)

    const byMapping = await mapped.collect()
    expect(byMapping.value('supasync.channel.closes', { ...refused, 'supasync.channel.topic': 'vault' })).toBe(1)
    expect(byMapping.histogram('supasync.channel.join.duration', ROOM).count).toBe(1) // mapped to undefined: left out
    for (const off of offs) off()
    await sync.destroy()
  })

  it('the unsubscribe releases the listener and the status subscription, stops recording, and may be called twice', async () => {
    const { realtime, sync, advance } = fakeSupasync()
    const otel = harness()
    expect(sync.diagnostics()).toMatchObject({ eventListeners: 0, statusListeners: 0 })
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    expect(sync.diagnostics()).toMatchObject({ eventListeners: 1, statusListeners: 1 })
    sync.channel('a')
    await flush()
    await advance(100)
    realtime.byTopic('a').at(-1)!.joined()
    await flush()
    off()
    off()
    expect(sync.diagnostics()).toMatchObject({ eventListeners: 0, statusListeners: 0 })
    sync.channel('b')
    await flush()
    realtime.byTopic('b').at(-1)!.joined()
    sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 3 })
    await flush()
    const got = await otel.collect()
    expect(got.histogram('supasync.channel.join.duration', ROOM)).toEqual({ count: 1, sum: 0.1 })
    expect(got.metrics.has('supasync.realtime.missed_changes')).toBe(false)
    await sync.destroy()
  })
})

describe("the packages' events (emitted as the packages emit them, through sync.emitEvent)", () => {
  it('polls, missed changes, queue flushes, dead letters and presence waits map to their metrics', async () => {
    const { sync } = fakeSupasync()
    const otel = harness()
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    sync.emitEvent({ type: 'poll', table: 'components', purpose: 'verify', rows: 3, ms: 40, ok: true })
    sync.emitEvent({ type: 'poll', table: 'components', purpose: 'verify', rows: 0, ms: 20, ok: true })
    sync.emitEvent({ type: 'poll', table: 'components', purpose: 'poll', rows: 7, ms: 120, ok: true })
    sync.emitEvent({ type: 'poll', table: 'notes', purpose: 'poll', rows: 0, ms: 3000, ok: false })
    sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 2 })
    sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 1 })
    sync.emitEvent({ type: 'queue-flush', queue: 'user-5c1d', sent: 50, remaining: 2, ms: 800 })
    sync.emitEvent({ type: 'queue-flush', queue: 'user-5c1d', sent: 1, remaining: 1, ms: 200 })
    sync.emitEvent({ type: 'dead-letter', queue: 'user-5c1d', id: 'entry-9b2e', table: 'notes', reason: 'invalid input syntax for type integer: "secret"', status: 400, pgCode: '22P02' })
    sync.emitEvent({ type: 'dead-letter', queue: 'user-5c1d', id: 'entry-77aa', table: '', reason: 'refused', status: 403, pgCode: undefined })
    sync.emitEvent({ type: 'presence-wait', topic: 'room:5c1d', ms: 1500 })
    sync.emitEvent({ type: 'presence-wait', topic: 'room:5c1d', ms: 500 })
    const got = await otel.collect()

    const verify = { 'supasync.table': 'components', 'supasync.poll.purpose': 'verify' }
    expect(got.histogram('supasync.poll.duration', verify)).toEqual({ count: 2, sum: 0.06 })
    expect(got.value('supasync.poll.rows', verify)).toBe(3)
    expect(got.histogram('supasync.poll.duration', { 'supasync.table': 'components', 'supasync.poll.purpose': 'poll' })).toEqual({ count: 1, sum: 0.12 })
    const failed = { 'supasync.table': 'notes', 'supasync.poll.purpose': 'poll', 'error.type': '_OTHER' }
    expect(got.histogram('supasync.poll.duration', failed)).toEqual({ count: 1, sum: 3 })
    expect(got.value('supasync.poll.rows', failed)).toBe(0)
    expect(got.value('supasync.realtime.missed_changes', { 'supasync.table': 'components' })).toBe(3)
    // No queue attribute by default: a namespace is often a user id.
    expect(got.histogram('supasync.queue.flush.duration')).toEqual({ count: 2, sum: 1 })
    expect(got.histogram('supasync.queue.flush.operations')).toEqual({ count: 2, sum: 51 })
    expect(got.value('supasync.queue.remaining')).toBe(1) // the last flush's
    expect(got.value('supasync.queue.dead_letters', { 'supasync.table': 'notes' })).toBe(1)
    expect(got.value('supasync.queue.dead_letters')).toBe(1) // an operation without a table (an RPC without a name)
    expect(got.histogram('supasync.presence.wait.duration')).toEqual({ count: 2, sum: 2 })
    const everything = JSON.stringify([...got.metrics.values()].map((metric) => metric.dataPoints))
    for (const secret of ['5c1d', 'entry-', 'secret', 'refused']) expect(everything).not.toContain(secret)
    off()
    await sync.destroy()
  })

  it('takes a prefix, milliseconds, queue names (opt-in) and constant attributes', async () => {
    const { sync } = fakeSupasync()
    const otel = harness()
    const off = instrumentSupasync(sync, {
      meterProvider: otel.meterProvider,
      prefix: 'myapp.sync',
      durationUnit: 'ms',
      queues: (namespace) => (namespace.startsWith('user-') ? 'per-user' : namespace),
      attributes: { 'supasync.instance': 'editor' },
    })
    sync.emitEvent({ type: 'poll', table: 'components', purpose: 'poll', rows: 1, ms: 40, ok: true })
    sync.emitEvent({ type: 'queue-flush', queue: 'user-5c1d', sent: 4, remaining: 0, ms: 800 })
    sync.emitEvent({ type: 'queue-flush', queue: 'shared', sent: 1, remaining: 3, ms: 10 })
    const got = await otel.collect()
    expect(got.histogram('myapp.sync.poll.duration', { 'supasync.instance': 'editor', 'supasync.table': 'components', 'supasync.poll.purpose': 'poll' })).toEqual({ count: 1, sum: 40 })
    expect(got.metrics.get('myapp.sync.poll.duration')!.descriptor.unit).toBe('ms')
    expect(got.histogram('myapp.sync.queue.flush.duration', { 'supasync.instance': 'editor', 'supasync.queue.name': 'per-user' })).toEqual({ count: 1, sum: 800 })
    expect(got.value('myapp.sync.queue.remaining', { 'supasync.instance': 'editor', 'supasync.queue.name': 'shared' })).toBe(3)
    expect([...got.metrics.keys()].every((name) => name.startsWith('myapp.sync.'))).toBe(true)
    off()
    await sync.destroy()
  })

  it('ignores an event type it does not know (a newer core)', async () => {
    const { sync } = fakeSupasync()
    const otel = harness()
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    expect(() => sync.emitEvent({ type: 'from-the-future', topic: 'x' } as never)).not.toThrow()
    const got = await otel.collect()
    expect([...got.metrics.values()].flatMap((metric): unknown[] => metric.dataPoints)).toEqual([])
    off()
    await sync.destroy()
  })
})

describe('instruments and meters', () => {
  it('uses the global meter provider by default, with the scope @supasync/otel at the package version', async () => {
    const otel = harness()
    expect(metrics.setGlobalMeterProvider(otel.meterProvider)).toBe(true)
    const { sync } = fakeSupasync()
    const off = instrumentSupasync(sync)
    sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 4 })
    await otel.collect()
    const scope = otel.exporter.getMetrics().at(-1)!.scopeMetrics[0]!.scope
    expect(scope).toMatchObject({ name: SCOPE_NAME, version: SCOPE_VERSION })
    expect(SCOPE_VERSION).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version)
    expect((await otel.collect()).value('supasync.realtime.missed_changes', { 'supasync.table': 'components' })).toBe(4)
    off()
    await sync.destroy()
  })

  it('records into a given meter', async () => {
    const otel = harness()
    const { sync } = fakeSupasync()
    const off = instrumentSupasync(sync, { meter: otel.meterProvider.getMeter('my-app') })
    sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 1 })
    await otel.collect()
    expect(otel.exporter.getMetrics().at(-1)!.scopeMetrics.map((scope) => scope.scope.name)).toEqual(['my-app'])
    off()
    await sync.destroy()
  })

  it('describes every instrument with the name, unit, description and buckets of SUPASYNC_METRICS', async () => {
    const otel = harness()
    const { sync } = fakeSupasync()
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    const events: SupasyncEvent[] = [
      { type: 'status', at: 0, state: 'live', previous: 'degraded', rttMs: 5 },
      { type: 'join', at: 0, topic: 't', kind: 'changes', private: false, ms: 10 },
      { type: 'channel-close', at: 0, topic: 't', kind: 'changes', by: 'server', reason: 'RealtimeRestarting: Realtime is restarting, please standby' },
      { type: 'poll', at: 0, table: 'a', purpose: 'verify', rows: 1, ms: 10, ok: true },
      { type: 'missed-by-realtime', at: 0, table: 'a', count: 1 },
      { type: 'queue-flush', at: 0, queue: 'q', sent: 1, remaining: 0, ms: 10 },
      { type: 'dead-letter', at: 0, queue: 'q', id: 'i', table: 'a', reason: 'r', status: 400, pgCode: '22P02' },
      { type: 'presence-wait', at: 0, topic: 't', ms: 10 },
    ]
    for (const { at: _at, ...event } of events) sync.emitEvent(event)
    const got = await otel.collect()
    expect([...got.metrics.keys()].sort()).toEqual(Object.values(SUPASYNC_METRICS).map((definition) => `supasync.${definition.name}`).sort())
    for (const definition of Object.values(SUPASYNC_METRICS)) {
      const metric = got.metrics.get(`supasync.${definition.name}`)!
      expect(metric.descriptor, definition.name).toMatchObject({ unit: definition.unit === 'duration' ? 's' : definition.unit, description: definition.description })
      const kind = { counter: DataPointType.SUM, histogram: DataPointType.HISTOGRAM, gauge: DataPointType.GAUGE }[definition.instrument]
      expect(metric.dataPointType, definition.name).toBe(kind)
      if (metric.dataPointType === DataPointType.SUM) expect(metric.isMonotonic, definition.name).toBe(true)
      if ('buckets' in definition) {
        const scale = definition.unit === 'duration' ? 1000 : 1
        const value = metric.dataPoints[0]!.value as { buckets: { boundaries: number[] } }
        expect(value.buckets.boundaries, definition.name).toEqual(definition.buckets.map((bound) => bound / scale))
      }
    }
    expect(got.value('supasync.channel.closes', { 'supasync.channel.kind': 'changes', 'supasync.channel.close.by': 'server', 'supasync.channel.close.reason': 'unavailable' })).toBe(1)
    off()
    await sync.destroy()
  })
})

describe('bad input', () => {
  it('is refused with a TypeError that says what to pass', () => {
    const otel = harness()
    const { sync } = fakeSupasync()
    const meter = otel.meterProvider.getMeter('x')
    expect(() => instrumentSupasync(undefined as never)).toThrow(/sync must be a supasync instance \(createSupasync\(supabase\)\)/)
    expect(() => instrumentSupasync({} as never)).toThrow(/something with onEvent\(listener\)/)
    expect(() => instrumentSupasync(sync, { meter, meterProvider: otel.meterProvider })).toThrow(/either `meter` or `meterProvider`, not both/)
    expect(() => instrumentSupasync(sync, { meter: {} as never })).toThrow(/`meter` must be an OpenTelemetry Meter/)
    expect(() => instrumentSupasync(sync, { meterProvider: {} as never })).toThrow(/`meterProvider` must be an OpenTelemetry MeterProvider/)
    for (const prefix of ['', '1x', 'my app', 'supasync.', 'é', 'a'.repeat(231)]) expect(() => instrumentSupasync(sync, { meter, prefix })).toThrow(/prefix .* is not a valid start of an instrument name: use at most 230 letters/)
    // The longest prefix allowed still makes valid names (255 characters at most).
    expect(() => instrumentSupasync(sync, { meter, prefix: 'a'.repeat(230) })()).not.toThrow()
    expect(() => instrumentSupasync(sync, { meter, durationUnit: 'seconds' as never })).toThrow(/durationUnit must be 's' or 'ms', got "seconds"/)
    expect(() => instrumentSupasync(sync, { meter, topics: 'yes' as never })).toThrow(/`topics` must be true, false or a function/)
    expect(() => instrumentSupasync(sync, { meter, queues: 1 as never })).toThrow(/`queues` must be true, false or a function/)
    expect(() => instrumentSupasync(sync, { meter, attributes: null as never })).toThrow(/`attributes` must be an object/)
    expect(() => instrumentSupasync(sync, 'fast' as never)).toThrow(/options must be an object/)
    // Nothing was subscribed by the refused calls.
    expect(sync.diagnostics().eventListeners).toBe(0)
  })
})
