/**
 * docs/monitoring.md's Sentry recipe (docs/recipes/sentry.ts, shown verbatim there), run with Sentry's own browser
 * SDK. Its transport is the SDK's createTransport with a request function that keeps the envelopes: nothing leaves
 * the machine. Events come from a real core instance (fake realtime client) and a real queue.
 */
import * as Sentry from '@sentry/browser'
import type { SupasyncEvent } from '@supasync/core'
import { createQueue, memoryStorage, RequestFailure } from '@supasync/queue'
import { afterEach, describe, expect, it } from 'vitest'
import { reportSupasyncToSentry } from '../../docs/recipes/sentry.js'
import { fakeSupasync, flush } from '../../packages/core/test/fakeRealtime.js'
import { scriptedExecutor, testPorts } from '../../packages/queue/test/helpers.js'

/** One Sentry envelope item: its header and payload. */
interface Item {
  header: { type: string }
  payload: Record<string, any>
}

/** Sentry.init with a transport that keeps what it would send, parsed (envelopes are newline-delimited JSON). */
function initSentry(): { items: Item[] } {
  const items: Item[] = []
  Sentry.init({
    dsn: 'https://public@o0.ingest.sentry.io/0',
    defaultIntegrations: false,
    transport: (options) =>
      Sentry.createTransport(options, async (request) => {
        const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body)
        const [, ...lines] = text.split('\n').filter((line) => line !== '')
        for (let i = 0; i + 1 < lines.length; i += 2) items.push({ header: JSON.parse(lines[i]!), payload: JSON.parse(lines[i + 1]!) })
        return { statusCode: 200 }
      }),
  })
  return { items }
}

afterEach(async () => {
  await Sentry.close()
})

describe('the Sentry recipe', () => {
  it('leaves a breadcrumb per event (not per routine poll) and reports refused channels and dead letters as issues', async () => {
    const { items } = initSentry()
    const { realtime, sync, advance } = fakeSupasync()
    const seen: SupasyncEvent[] = []
    const record = sync.onEvent((event) => seen.push(event))
    const stop = reportSupasyncToSentry(sync)
    const refused = () => new RequestFailure({ status: 400, message: 'invalid input syntax for type integer: "row-data-7"', pgCode: '22P02' })
    const queue = createQueue({ executor: scriptedExecutor([refused]).executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync, namespace: 'user-a11ce' })
    try {
      sync.channel('site:3')
      sync.channel('vault:9', { private: true })
      await flush()
      await advance(120)
      realtime.byTopic('site:3').at(-1)!.joined()
      realtime.byTopic('vault:9').at(-1)!.refuse('Unauthorized: You do not have permissions to read from this Channel topic: vault:9')
      sync.emitEvent({ type: 'poll', table: 'components', purpose: 'verify', rows: 0, ms: 12, ok: true }) // no crumb
      sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 2 })
      await queue.enqueue({ table: 'notes', type: 'insert', rows: [{ project_id: 'row-data-7' }] })
      await queue.flush()
      expect(await Sentry.flush(2000)).toBe(true)

      const events = items.filter((item) => item.header.type === 'event').map((item) => item.payload)
      expect(events.map((event) => [event.level, event.message])).toEqual([
        ['warning', 'supasync: realtime refused a room channel'],
        ['error', 'supasync: the server refused a queued write to notes'],
      ])
      const [channel, dead] = events as [Record<string, any>, Record<string, any>]
      expect(channel.fingerprint).toEqual(['supasync-channel-refused', 'room', 'Unauthorized'])
      expect(channel.tags).toEqual({ 'supasync.channel.kind': 'room' })
      expect(channel.extra).toEqual({ topic: 'vault:9', reason: 'Unauthorized: You do not have permissions to read from this Channel topic: vault:9' })
      expect(dead.fingerprint).toEqual(['supasync-dead-letter', 'notes'])
      expect(dead.tags).toEqual({ 'supasync.table': 'notes', 'supasync.pg_code': expect.any(String) })
      expect(dead.extra).toEqual({ reason: expect.stringContaining('"…"'), status: 400, entryId: queue.failed.get()[0]!.id, queue: 'user-a11ce' })
      expect(JSON.stringify(events)).not.toContain('row-data-7')

      // The trail sent with the dead letter: every event up to it but the routine poll, in order, with its time in seconds.
      const crumbs = (dead.breadcrumbs as { category: string; level: string; message: string; timestamp: number; data: Record<string, unknown> }[]).filter((crumb) => crumb.category.startsWith('supasync.'))
      const upToDead = seen.slice(0, seen.findIndex((event) => event.type === 'dead-letter') + 1)
      const expected = upToDead.filter((event) => !(event.type === 'poll' && event.ok))
      expect(expected.length).toBe(upToDead.length - 1)
      expect(crumbs.map((crumb) => crumb.category)).toEqual(expected.map((event) => `supasync.${event.type}`))
      expect(crumbs.map((crumb) => crumb.timestamp)).toEqual(expected.map((event) => event.at / 1000))
      expect(crumbs).toContainEqual(expect.objectContaining({ category: 'supasync.join', level: 'info', message: 'joined site:3 in 120 ms', data: { topic: 'site:3', kind: 'room', private: false, ms: 120 } }))
      expect(crumbs).toContainEqual(expect.objectContaining({ category: 'supasync.channel-close', level: 'error', data: expect.objectContaining({ by: 'refused', topic: 'vault:9' }) }))
      expect(crumbs).toContainEqual(expect.objectContaining({ category: 'supasync.missed-by-realtime', message: '2 changes of components missed by realtime' }))
      // The dead letter's crumb leaves the reason (and the refused value in it) to the issue.
      const deadCrumb = crumbs.find((crumb) => crumb.category === 'supasync.dead-letter')!
      expect(deadCrumb).toMatchObject({ level: 'error', message: 'write to notes refused' })
      expect(JSON.stringify(deadCrumb)).not.toContain('row-data-7')
    } finally {
      stop()
      record()
      queue.destroy()
      await sync.destroy()
    }
    expect(sync.diagnostics().eventListeners).toBe(0)
  })

  it('sends nothing once unsubscribed', async () => {
    const { items } = initSentry()
    const { sync } = fakeSupasync()
    const stop = reportSupasyncToSentry(sync)
    expect(sync.diagnostics().eventListeners).toBe(1)
    stop()
    expect(sync.diagnostics().eventListeners).toBe(0)
    sync.emitEvent({ type: 'dead-letter', queue: 'q', id: 'e1', table: 'notes', reason: 'refused', status: 403, pgCode: undefined })
    expect(await Sentry.flush(2000)).toBe(true)
    expect(items).toEqual([])
    await sync.destroy()
  })
})
