/**
 * The wedding example in real Chromium: two vendors in two browser contexts (issue #14).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startDemo, type Demo } from '../../examples/dev/startDemo.js'
import { launchChromium } from './browser.js'

let demo: Demo
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  ;[demo, browser] = await Promise.all([startDemo({ apps: ['wedding'] }), launchChromium()])
}, 120_000)

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined)
  await browser?.close()
  await demo?.close()
})

async function vendor(key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(`${demo.urls.wedding}/wedding/1?vendor=${key}`)
  return { context, page }
}

const member = (page: Page, key: string) => page.locator(`[data-testid="member"][data-key="${key}"]`)

async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check()) return Date.now() - started
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('wedding: two vendors', () => {
  it('see each other online, see typing within 2 s, get a running-late alert, and see a closed page go offline', async () => {
    const photographer = await vendor('photographer')
    const florist = await vendor('florist')
    await within(15_000, 'the florist online at the photographer', async () => (await member(photographer.page, 'florist').getAttribute('data-status').catch(() => null)) === 'online')
    await within(15_000, 'the photographer online at the florist', async () => (await member(florist.page, 'photographer').getAttribute('data-status').catch(() => null)) === 'online')

    await florist.page.getByTestId('message').pressSequentially('Ice is late', { delay: 20 })
    const typing = await within(2000, 'typing at the photographer', async () => (await member(photographer.page, 'florist').getAttribute('data-typing')) === 'true')
    expect(typing).toBeLessThan(2000)

    await florist.page.getByTestId('running-late').click()
    await photographer.page.getByTestId('alert').first().waitFor({ timeout: 5000 })
    expect(await photographer.page.getByTestId('alert').first().textContent()).toContain('Ice is late')
    expect(await florist.page.getByTestId('alert').count()).toBe(0)

    await florist.context.close()
    await within(30_000, 'the florist offline at the photographer', async () => (await member(photographer.page, 'florist').getAttribute('data-status')) === 'offline')
  }, 90_000)

  it('a status change through the queue reaches the other vendor', async () => {
    const venue = await vendor('venue')
    const caterer = await vendor('caterer')
    const item = (page: Page) => page.locator('[data-testid="timeline-item"]').nth(3)
    await item(venue.page).waitFor({ timeout: 15_000 })
    const id = await item(venue.page).getAttribute('data-id')
    const target = (await item(venue.page).getAttribute('data-status')) === 'done' ? 'in_progress' : 'done'
    await item(venue.page).getByTestId('set-status').selectOption(target)
    await within(5000, 'the change at the caterer', async () => (await caterer.page.locator(`[data-testid="timeline-item"][data-id="${id}"]`).getAttribute('data-status')) === target)
    const { rows } = await demo.stack.query<{ status: string }>('select status from public.timeline_items where id = $1', [id])
    expect(rows[0]!.status).toBe(target)
  }, 60_000)
})
