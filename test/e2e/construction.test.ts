/**
 * The construction example in real Chromium, two browser contexts as two people: the foreman's phone and the project
 * manager's desktop (issue #14). Runs against the demo stack (examples/dev/startDemo.ts) with its seed.
 */
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { attributeOf, DESKTOP, openDevtools, PHONE, screenshot, useDemo, within } from './harness.js'

const MILESTONES = ['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done']
const next = (milestone: string) => MILESTONES[Math.min(MILESTONES.indexOf(milestone) + 1, MILESTONES.length - 1)]!

const local = useDemo('construction')
const open = (path: string, viewport: typeof PHONE) => local.open(path, viewport)

const row = (page: Page, tag: string) => page.locator(`[data-testid="component"][data-tag="${tag}"]`)
const milestoneOf = (page: Page, tag: string) => attributeOf(row(page, tag), 'data-milestone')

/** The milestone of `tag` in the database (the truth both screens must converge to). */
async function stored(tag: string, project: number): Promise<string> {
  const { rows } = await local.demo.stack.query<{ milestone: string }>('select milestone from public.components where project_id = $1 and tag = $2', [project, tag])
  return rows[0]!.milestone
}

async function search(page: Page, tag: string): Promise<void> {
  await page.getByTestId('search').fill(tag)
  await row(page, tag).waitFor({ timeout: 15_000 })
}

/**
 * Cuts this page's realtime socket and refuses new ones (setOffline leaves open WebSockets alone), and fails every
 * request to the stack from the context: a page under a service worker sends its cross-origin requests on through the
 * worker, and Chromium's offline emulation does not always reach those (a write once went out from a page reloaded
 * offline).
 */
async function cutNetwork(page: Page): Promise<() => Promise<void>> {
  const open: { close(): Promise<void> }[] = []
  await page.routeWebSocket(/\/realtime\/v1\/websocket/, (socket) => {
    open.push(socket)
    void socket.close({ code: 1006 }).catch(() => undefined)
  })
  const stackRequests = `${local.demo.stack.url}/**`
  const refuse = (route: { abort(code: string): Promise<void> }) => route.abort('internetdisconnected')
  await page.context().route(stackRequests, refuse)
  return async () => {
    await page.context().unroute(stackRequests, refuse)
    await page.unrouteAll({ behavior: 'ignoreErrors' })
  }
}

describe('construction: foreman (phone) and project manager (desktop)', () => {
  it('an advance on the phone is on the PM\'s screen within 2 s', async () => {
    const foreman = await open('/foreman/2?user=alice', PHONE)
    const pm = await open('/pm/2?user=bob', DESKTOP)
    const tag = 'P-2003'
    await search(foreman.page, tag)
    await row(pm.page, tag).waitFor({ timeout: 15_000 })
    await within(15_000, 'the PM live', async () => (await attributeOf(pm.page.getByTestId('freshness'), 'data-mode')) === 'realtime')
    const before = (await milestoneOf(foreman.page, tag))!
    await row(foreman.page, tag).getByTestId('advance').click()
    const took = await within(2000, `${tag} advanced at the PM`, async () => (await milestoneOf(pm.page, tag)) === next(before))
    expect(took).toBeLessThan(2000)
    expect(await stored(tag, 2)).toBe(next(before))
    expect(await pm.page.getByTestId('notification').count()).toBeGreaterThan(0)
  }, 60_000)

  it('offline: three advances wait in the outbox (banner 3), survive a reload without network, and reach the PM when back online', async () => {
    const foreman = await open('/foreman/2?user=alice', PHONE)
    const pm = await open('/pm/2?user=alice', DESKTOP)
    const tags = ['V-2013', 'V-2014', 'V-2015']
    await row(foreman.page, tags[0]!).waitFor({ timeout: 15_000 })
    // The app shell's service worker has cached the page and its scripts (a reload needs them without network).
    await foreman.page.locator('html[data-offline-ready="true"]').waitFor({ state: 'attached', timeout: 15_000 })
    // Once more while online, now under the worker's control: every file this load uses is cached as it is fetched
    // (on a cold Vite cache the first load can be replaced by a reload with re-optimized dependencies, other URLs).
    await foreman.page.reload()
    await row(foreman.page, tags[0]!).waitFor({ timeout: 15_000 })
    await foreman.page.locator('html[data-offline-ready="true"]').waitFor({ state: 'attached', timeout: 15_000 })
    const before = await Promise.all(tags.map((tag) => stored(tag, 2)))
    // Offline: no HTTP (setOffline, and the stack refused from the context) and no socket (setOffline leaves an open
    // WebSocket alone).
    await foreman.context.setOffline(true)
    const restore = await cutNetwork(foreman.page)
    for (const tag of tags) {
      await search(foreman.page, tag)
      await row(foreman.page, tag).getByTestId('advance').click()
    }
    const banner = foreman.page.getByTestId('work-not-saved')
    await within(5000, 'the banner at 3', async () => (await attributeOf(banner, 'data-pending')) === '3')
    expect(await Promise.all(tags.map((tag) => stored(tag, 2)))).toEqual(before)
    // A reload with no network at all: the page comes from the service worker's cache, the outbox from IndexedDB.
    await foreman.page.reload()
    await within(10_000, 'the banner at 3 after the reload', async () => (await attributeOf(banner, 'data-pending')) === '3')
    expect(await Promise.all(tags.map((tag) => stored(tag, 2)))).toEqual(before)
    // Back online: the outbox drains, the banner clears, the PM sees all three.
    await restore()
    await foreman.context.setOffline(false)
    await within(30_000, 'the banner cleared', async () => ((await attributeOf(banner, 'data-pending')) ?? '0') === '0')
    for (const [index, tag] of tags.entries()) {
      await within(30_000, `${tag} at the PM`, async () => (await milestoneOf(pm.page, tag)) === next(before[index]!))
    }
    expect(await Promise.all(tags.map((tag) => stored(tag, 2)))).toEqual(before.map(next))
  }, 120_000)

  it('the PM\'s socket dies silently: the advance still reaches the PM within the budget, and the badge says polling', async () => {
    const foreman = await open('/foreman/2?user=alice', PHONE)
    const pmContext = await local.context(DESKTOP)
    const pmPage = await pmContext.newPage()
    let silent = false
    // Frames from the server stop reaching the PM (heartbeat replies too); the socket stays open: a silent dead socket.
    await pmPage.routeWebSocket(/\/realtime\/v1\/websocket/, (socket) => {
      const server = socket.connectToServer()
      server.onMessage((message) => {
        if (!silent) socket.send(message)
      })
      socket.onMessage((message) => server.send(message))
    })
    await pmPage.goto(`${local.demo.urls.construction}/pm/2?user=bob`)
    const tag = 'S-2016'
    await row(pmPage, tag).waitFor({ timeout: 15_000 })
    await within(15_000, 'the PM live', async () => (await attributeOf(pmPage.getByTestId('freshness'), 'data-mode')) === 'realtime')
    silent = true
    await search(foreman.page, tag)
    const before = (await milestoneOf(foreman.page, tag))!
    await row(foreman.page, tag).getByTestId('advance').click()
    await within(5000, 'stored', async () => (await stored(tag, 2)) === next(before))
    const took = await within(30_000, `${tag} at the PM through polling`, async () => (await milestoneOf(pmPage, tag)) === next(before))
    expect(took).toBeLessThan(30_000)
    expect(await attributeOf(pmPage.getByTestId('freshness'), 'data-mode')).not.toBe('realtime')
  }, 90_000)

  it('bulk: 50 selected components advance in one request, and all 50 reach the PM', async () => {
    const foreman = await open('/foreman/1?user=alice', PHONE)
    const pm = await open('/pm/1?user=alice', DESKTOP)
    await foreman.page.getByTestId('component').first().waitFor({ timeout: 15_000 })
    await pm.page.getByTestId('component').first().waitFor({ timeout: 15_000 })
    const writes: string[] = []
    foreman.page.on('request', (request) => {
      if (request.url().includes('/rest/v1/components') && request.method() !== 'GET' && request.method() !== 'HEAD' && request.method() !== 'OPTIONS') writes.push(`${request.method()} ${request.url()}`)
    })
    const before = new Map((await local.demo.stack.query<{ tag: string; milestone: string }>('select tag, milestone from public.components where project_id = 1')).rows.map((r) => [r.tag, r.milestone]))
    await foreman.page.getByTestId('select-50').click()
    // The list is virtualized: the 50 selected are not all in the DOM. The database says which ones advanced.
    await foreman.page.getByTestId('advance-selected').click()
    const advanced = async () =>
      (await local.demo.stack.query<{ tag: string; milestone: string }>('select tag, milestone from public.components where project_id = 1')).rows.filter((r) => r.milestone !== before.get(r.tag))
    await within(15_000, '50 components stored with their next milestone', async () => (await advanced()).length === 50)
    const changed = await advanced()
    expect(changed.every((r) => r.milestone === next(before.get(r.tag)!))).toBe(true)
    expect(writes).toHaveLength(1)
    const selected = changed.map((r) => r.tag)
    for (const tag of selected) {
      const expected = next(before.get(tag)!)
      await within(10_000, `${tag} at the PM`, async () => {
        const attribute = await attributeOf(row(pm.page, tag), 'data-milestone')
        // A virtualized list renders only what is on screen: the PM's search finds the rest.
        if (attribute === null) {
          await pm.page.getByTestId('search').fill(tag)
          return false
        }
        return attribute === expected
      })
    }
  }, 120_000)

  it('two tabs of one user show the same pending writes, and the outbox is sent once, by one tab', async () => {
    const context = await local.context(PHONE)
    const [first, second] = [await context.newPage(), await context.newPage()]
    for (const page of [first, second]) await page.goto(`${local.demo.urls.construction}/foreman/2?user=alice`)
    const tags = ['I-2019', 'I-2020', 'S-2017']
    for (const page of [first, second]) await row(page, tags[0]!).waitFor({ timeout: 15_000 })
    const before = await Promise.all(tags.map((tag) => stored(tag, 2)))
    // Writes cannot reach the server for now (reads still can; the watermark RPC is a read sent as POST).
    const blocked = (url: string, method: string) =>
      url.startsWith(`${local.demo.stack.url}/rest/v1/`) && !url.includes('/rest/v1/rpc/') && method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'
    await context.route(`${local.demo.stack.url}/rest/v1/**`, (route) => (blocked(route.request().url(), route.request().method()) ? route.abort('internetdisconnected') : route.fallback()))
    await search(first, tags[0]!)
    await row(first, tags[0]!).getByTestId('advance').click()
    await search(second, tags[1]!)
    await row(second, tags[1]!).getByTestId('advance').click()
    await search(first, tags[2]!)
    await row(first, tags[2]!).getByTestId('advance').click()
    for (const page of [first, second]) {
      await within(10_000, 'the same pending count in both tabs', async () => (await attributeOf(page.getByTestId('work-not-saved'), 'data-pending')) === '3')
    }
    const senders = new Map<string, number>()
    for (const [name, page] of [['first', first], ['second', second]] as const) {
      page.on('requestfinished', (request) => {
        if (blocked(request.url(), request.method())) senders.set(name, (senders.get(name) ?? 0) + 1)
      })
    }
    await context.unroute(`${local.demo.stack.url}/rest/v1/**`)
    for (const page of [first, second]) await page.evaluate(() => window.dispatchEvent(new Event('online')))
    for (const page of [first, second]) {
      await within(30_000, 'both banners cleared', async () => {
        const banner = page.getByTestId('work-not-saved')
        return (await banner.count()) === 0 || (await attributeOf(banner, 'data-pending')) === '0'
      })
    }
    expect(await Promise.all(tags.map((tag) => stored(tag, 2)))).toEqual(before.map(next))
    // One tab sent them all (the Web Lock holder), each write once: a batch or one request per write, not both tabs.
    expect(senders.size).toBe(1)
    expect([...senders.values()][0]).toBeLessThanOrEqual(3)
  }, 90_000)

  it('the foreman finds one component among 100,000 at once', async () => {
    const foreman = await open('/foreman/3?user=alice', PHONE)
    await foreman.page.getByTestId('component').first().waitFor({ timeout: 60_000 })
    // All 100,000 loaded (the badge leaves "syncing…" once the first read completed).
    await within(60_000, 'the whole table loaded', async () => (await attributeOf(foreman.page.getByTestId('freshness'), 'data-mode')) === 'realtime')
    const tag = 'V-98765'
    const started = Date.now()
    await foreman.page.getByTestId('search').fill(tag)
    await row(foreman.page, tag).waitFor({ timeout: 5000 })
    expect(Date.now() - started).toBeLessThan(1000)
    // The list is virtualized: a phone screen's worth of rows in the DOM, not 100,000.
    await foreman.page.getByTestId('search').fill('')
    expect(await foreman.page.getByTestId('component').count()).toBeLessThan(100)
  }, 120_000)
})

describe('construction: the devtools panel (development builds)', () => {
  it("shows what the PM's page holds: the socket, the changes channel, the live table in mode realtime within its budget, the outbox", async () => {
    const pm = await open('/pm/2?user=bob', DESKTOP)
    const errors: string[] = []
    pm.page.on('pageerror', (error) => errors.push(error.message))
    await pm.page.getByTestId('component').first().waitFor({ timeout: 15_000 })
    await within(15_000, 'the PM live', async () => (await attributeOf(pm.page.getByTestId('freshness'), 'data-mode')) === 'realtime')

    const connection = await openDevtools(pm.page, 'connection')
    await within(5000, 'the connection live in the panel', async () => /live/.test((await connection.textContent()) ?? ''))
    const channels = await openDevtools(pm.page, 'channels')
    expect(await channels.textContent()).toMatch(/public\.components/)
    const tables = await openDevtools(pm.page, 'liveTables')
    const text = (await tables.textContent()) ?? ''
    expect(text).toMatch(/public\.components/)
    expect(text).toMatch(/realtime/)
    // No token and no row content in the panel (the components' tags are row data).
    const all = (await pm.page.locator('[data-supasync-devtools-panel]').textContent()) ?? ''
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
    expect(all).not.toMatch(/P-20\d\d/)
    const shot = await screenshot(pm.page, 'construction-pm-devtools')
    expect(shot.bytes).toBeGreaterThan(10_000)
    const queue = await openDevtools(pm.page, 'queue')
    expect(await queue.textContent()).toMatch(/pending/i)
    expect(errors).toEqual([])
  }, 60_000)
})
