/**
 * The wedding example in real Chromium: two vendors in two browser contexts (issue #14).
 */
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { attributeOf, openDevtools, screenshot, useDemo, within } from './harness.js'

const local = useDemo('wedding')
const vendor = (key: string) => local.open(`/wedding/1?vendor=${key}`)

const member = (page: Page, key: string) => page.locator(`[data-testid="member"][data-key="${key}"]`)

describe('wedding: two vendors', () => {
  it('see each other online, see typing within 2 s, get a running-late alert, and see a closed page go offline', async () => {
    const photographer = await vendor('photographer')
    const florist = await vendor('florist')
    await within(15_000, 'the florist online at the photographer', async () => (await attributeOf(member(photographer.page, 'florist'), 'data-status')) === 'online')
    await within(15_000, 'the photographer online at the florist', async () => (await attributeOf(member(florist.page, 'photographer'), 'data-status')) === 'online')

    await florist.page.getByTestId('message').pressSequentially('Ice is late', { delay: 20 })
    const typing = await within(2000, 'typing at the photographer', async () => (await attributeOf(member(photographer.page, 'florist'), 'data-typing')) === 'true')
    expect(typing).toBeLessThan(2000)

    await florist.page.getByTestId('running-late').click()
    await photographer.page.getByTestId('alert').first().waitFor({ timeout: 5000 })
    expect(await photographer.page.getByTestId('alert').first().textContent()).toContain('Ice is late')
    expect(await florist.page.getByTestId('alert').count()).toBe(0)

    await florist.context.close()
    await within(30_000, 'the florist offline at the photographer', async () => (await attributeOf(member(photographer.page, 'florist'), 'data-status')) === 'offline')
  }, 90_000)

  it('a status change through the queue reaches the other vendor', async () => {
    const venue = await vendor('venue')
    const caterer = await vendor('caterer')
    const item = (page: Page) => page.locator('[data-testid="timeline-item"]').nth(3)
    await item(venue.page).waitFor({ timeout: 15_000 })
    const id = await item(venue.page).getAttribute('data-id')
    const target = (await item(venue.page).getAttribute('data-status')) === 'done' ? 'in_progress' : 'done'
    await item(venue.page).getByTestId('set-status').selectOption(target)
    await within(5000, 'the change at the caterer', async () => (await attributeOf(caterer.page.locator(`[data-testid="timeline-item"][data-id="${id}"]`), 'data-status')) === target)
    const { rows } = await local.demo.stack.query<{ status: string }>('select status from public.timeline_items where id = $1', [id])
    expect(rows[0]!.status).toBe(target)
  }, 60_000)
})

describe('wedding: the devtools panel (development builds)', () => {
  it("shows the vendor's presence room with both vendors, the live timeline and the connection, with no presence state in it", async () => {
    const venue = await vendor('venue')
    const errors: string[] = []
    venue.page.on('pageerror', (error) => errors.push(error.message))
    const florist = await vendor('florist')
    await within(15_000, 'the florist online at the venue', async () => (await attributeOf(member(venue.page, 'florist'), 'data-status')) === 'online')
    const presence = await openDevtools(venue.page, 'presence')
    await within(5000, 'both vendors in the panel', async () => {
      const text = (await presence.textContent()) ?? ''
      return text.includes('venue') && text.includes('florist')
    })
    const tables = await openDevtools(venue.page, 'liveTables')
    expect(await tables.textContent()).toMatch(/timeline_items/)
    const shot = await screenshot(venue.page, 'wedding-devtools')
    expect(shot.bytes).toBeGreaterThan(10_000)
    expect(errors).toEqual([])
    await florist.context.close()
  }, 60_000)
})
