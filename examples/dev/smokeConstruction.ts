/**
 * Smoke check of examples/construction-react in real Chromium (issue #14), and the screenshots in docs/screenshots/.
 *
 *   node --import tsx examples/dev/smokeConstruction.ts            # checks, timings, screenshots
 *   node --import tsx examples/dev/smokeConstruction.ts --no-shots # checks and timings only
 *
 * Starts the demo (local stack + the app on Vite), opens the foreman's phone as alice and the PM's desktop as bob on
 * project 3 (100,000 components), and checks: the load, search, one advance reaching the PM, a bulk advance of 50
 * as one request, and offline work surviving a reload. Prints the timings. Not part of `npm test` (it is not an e2e
 * suite; it is what the e2e tests will build on).
 */
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { startDemo } from './startDemo.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const shots = !process.argv.includes('--no-shots')
const results: string[] = []
const note = (line: string) => {
  results.push(line)
  console.log(line)
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`FAILED: ${message}`)
}

/** Waits until the list shows all `total` components (the search box counts them). */
async function loaded(page: Page, total: string, timeout = 120_000) {
  await page.waitForFunction((text) => document.querySelector('.search-count')?.textContent?.includes(text) ?? false, total, { timeout })
}

/** Types into the search box in the page and measures until the DOM shows the exact match first (ms); '' clears it. */
async function search(page: Page, tag: string): Promise<number> {
  return page.evaluate(async (wanted) => {
    const input = document.querySelector<HTMLInputElement>('[data-testid=search]')!
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!
    const started = performance.now()
    setValue.call(input, wanted)
    input.dispatchEvent(new Event('input', { bubbles: true }))
    // (no named functions in here: tsx would wrap them in a helper the page does not have)
    while (
      wanted === ''
        ? / of /.test(document.querySelector('.search-count')?.textContent ?? ' of ')
        : document.querySelector('[data-testid=component]')?.getAttribute('data-tag') !== wanted
    ) {
      if (performance.now() - started > 10_000) throw new Error(`search ${JSON.stringify(wanted)}: not shown within 10 s`)
      await new Promise((resolve) => requestAnimationFrame(resolve))
    }
    return performance.now() - started
  }, tag)
}

const row = (page: Page, id: string) => page.locator(`[data-testid=component][data-id="${id}"]`)

const demo = await startDemo({ apps: ['construction'] })
const base = demo.urls.construction!
const executablePath = await (await import('@sparticuz/chromium')).default.executablePath()
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-zygote'] })
let failed = false
try {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const foreman = await phone.newPage()
  const pm = await desk.newPage()
  for (const [name, page] of [['foreman', foreman], ['pm', pm]] as const) {
    page.on('pageerror', (error) => console.log(`[${name} page error] ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') console.log(`[${name} ${message.type()}] ${message.text().slice(0, 400)}`)
    })
  }

  // ---- load 100,000 components in both ------------------------------------------------------------------------
  let started = Date.now()
  await Promise.all([foreman.goto(`${base}/foreman/3?user=alice`), pm.goto(`${base}/pm/3?user=bob`)])
  await foreman.waitForSelector('[data-testid=component]')
  note(`foreman: first rows shown after ${Date.now() - started} ms`)
  await Promise.all([loaded(foreman, '100,000'), loaded(pm, '100,000')])
  note(`foreman + PM: all 100,000 components loaded after ${Date.now() - started} ms (both pages at once)`)
  await foreman.waitForSelector('[data-testid=freshness][data-mode=realtime]', { timeout: 30_000 })
  await pm.waitForSelector('[data-testid=freshness][data-mode=realtime]', { timeout: 30_000 })
  note(`freshness badges "live" (realtime) after ${Date.now() - started} ms`)
  check((await foreman.locator('[data-testid=work-not-saved]').count()) === 0, 'no banner while nothing is pending')

  // ---- search ----------------------------------------------------------------------------------------------------
  const timings: number[] = []
  for (const tag of ['P-3004', 'I-57003', 'V-102997', 'S-45678']) timings.push(await search(foreman, tag))
  note(`search among 100,000 (type → exact match rendered first): ${timings.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`)
  await search(foreman, 'P-3004')
  const target = foreman.locator('[data-testid=component]').first()
  const id = (await target.getAttribute('data-id'))!
  const before = (await target.getAttribute('data-milestone'))!
  await search(pm, 'P-3004')
  check((await row(pm, id).getAttribute('data-milestone')) === before, 'PM shows the same milestone before the advance')

  // ---- advance one → PM ------------------------------------------------------------------------------------------
  started = Date.now()
  await target.locator('[data-testid=advance]').click()
  const after = (await row(foreman, id).getAttribute('data-milestone'))!
  check(after !== before, `foreman shows the advance at once (${before} → ${after})`)
  await row(pm, id).and(pm.locator(`[data-milestone="${after}"]`)).waitFor({ timeout: 2_000 })
  note(`advance P-3004 ${before} → ${after}: on the PM's desktop after ${Date.now() - started} ms`)
  await pm.locator(`[data-testid=notification][data-tag="P-3004"]`).first().waitFor({ timeout: 2_000 })
  note(`notification for P-3004 on the PM's desktop after ${Date.now() - started} ms`)
  await foreman.locator('[data-testid=work-not-saved]').waitFor({ state: 'detached', timeout: 5_000 })

  // ---- bulk: 50 at once, one request -----------------------------------------------------------------------------
  await search(foreman, '')
  await search(pm, '')
  const writes: string[] = []
  foreman.on('request', (request) => {
    if (request.url().includes('/rest/v1/components') && request.method() !== 'GET' && request.method() !== 'HEAD') writes.push(`${request.method()} ${request.url()}`)
  })
  await foreman.locator('[data-testid=select-50]').click()
  check((await foreman.locator('[data-testid=select]:checked').count()) > 0, 'select-50 checks the visible rows')
  const firstId = (await foreman.locator('[data-testid=component]').first().getAttribute('data-id'))!
  const firstBefore = (await row(pm, firstId).getAttribute('data-milestone'))!
  started = Date.now()
  await foreman.locator('[data-testid=advance-selected]').click()
  await foreman.locator('[data-testid=work-not-saved]').waitFor({ state: 'detached', timeout: 10_000 })
  note(`bulk advance of 50: saved after ${Date.now() - started} ms in ${writes.length} request(s): ${writes.map((write) => write.split('?')[0]).join(', ')}`)
  check(writes.length === 1, 'a bulk advance of 50 is one request')
  await pm.waitForFunction(
    ([key, was]) => {
      const element = document.querySelector(`[data-testid=component][data-id="${key}"]`)
      return element !== null && element.getAttribute('data-milestone') !== was
    },
    [firstId, firstBefore] as const,
    { timeout: 5_000 },
  )
  note(`bulk advance: first row changed on the PM's desktop after ${Date.now() - started} ms; notifications shown: ${await pm.locator('[data-testid=notification]').count()}`)

  // ---- offline: queued, shown at once, survives a reload ---------------------------------------------------------
  await search(foreman, 'V-3009')
  const offlineRow = foreman.locator('[data-testid=component]').first()
  const offlineId = (await offlineRow.getAttribute('data-id'))!
  const offlineBefore = (await offlineRow.getAttribute('data-milestone'))!
  await phone.setOffline(true)
  await foreman.waitForSelector('[data-testid=freshness][data-mode=offline]', { timeout: 5_000 })
  await offlineRow.locator('[data-testid=advance]').click()
  await foreman.waitForSelector('[data-testid=work-not-saved][data-pending="1"]', { timeout: 2_000 })
  const offlineAfter = (await row(foreman, offlineId).getAttribute('data-milestone'))!
  check(offlineAfter !== offlineBefore, 'offline: the advance shows at once')
  note(`offline: "Work not saved (1)" and V-3009 shown ${offlineBefore} → ${offlineAfter} at once; badge: "${await foreman.locator('[data-testid=freshness]').innerText()}"`)
  if (shots) {
    await mkdir(join(ROOT, 'docs', 'screenshots'), { recursive: true })
    await foreman.locator('[data-testid=search]').fill('V-30')
    await foreman.locator(`[data-testid=component][data-id="${offlineId}"]`).waitFor()
    await foreman.locator('[data-testid=select]').nth(4).check()
    await foreman.locator('[data-testid=select]').nth(5).check()
    await foreman.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'construction-foreman.png') })
  }
  // The stack's REST API unreachable while the page itself still loads: the write stays queued across the reload.
  await phone.route(`${demo.config.url}/rest/**`, (route) => route.abort('internetdisconnected'))
  await phone.setOffline(false)
  await foreman.reload()
  await foreman.waitForSelector('[data-testid=work-not-saved][data-pending="1"]', { timeout: 10_000 })
  note('reload with the API unreachable: the banner is back with data-pending="1" (IndexedDB)')
  check((await row(pm, offlineId).count()) === 0 || (await row(pm, offlineId).getAttribute('data-milestone')) === offlineBefore, 'the PM does not have it yet')
  started = Date.now()
  await phone.unroute(`${demo.config.url}/rest/**`)
  // "Retry now" when the queue is idle; while it backs off (button disabled) its next attempt comes by itself.
  const retryNow = foreman.locator('[data-testid=work-not-saved] button:enabled')
  if (await retryNow.count()) await retryNow.click().catch(() => undefined)
  await foreman.locator('[data-testid=work-not-saved]').waitFor({ state: 'detached', timeout: 30_000 })
  await search(pm, 'V-3009')
  await row(pm, offlineId).and(pm.locator(`[data-milestone="${offlineAfter}"]`)).waitFor({ timeout: 5_000 })
  note(`back online: queued write saved and on the PM's desktop ${Date.now() - started} ms after the API came back`)
  await foreman.waitForSelector('[data-testid=freshness][data-mode=realtime]', { timeout: 30_000 })
  await loaded(foreman, '100,000')

  // ---- a write the server refuses: listed with its reason, the row shows the server's value, Retry sends it -----
  await search(foreman, 'S-3010')
  const refusedRow = foreman.locator('[data-testid=component]').first()
  const refusedId = (await refusedRow.getAttribute('data-id'))!
  const refusedBefore = (await refusedRow.getAttribute('data-milestone'))!
  demo.stack.faults.failRest({ status: 400, count: 1 })
  await refusedRow.locator('[data-testid=advance]').click()
  await foreman.locator('[data-testid=refused]').waitFor({ timeout: 10_000 })
  await row(foreman, refusedId).and(foreman.locator(`[data-milestone="${refusedBefore}"]`)).waitFor({ timeout: 10_000 })
  note(`refused write (HTTP 400 injected): listed as refused, S-3010 back to the server's ${refusedBefore}`)
  await foreman.locator('[data-testid=refused] button', { hasText: 'Retry' }).click()
  await foreman.locator('[data-testid=refused]').waitFor({ state: 'detached', timeout: 10_000 })
  await search(pm, 'S-3010')
  await row(pm, refusedId).and(pm.locator(`:not([data-milestone="${refusedBefore}"])`)).waitFor({ timeout: 5_000 })
  note('  Retry: sent, and on the PM\'s desktop')

  // ---- Realtime down: the live tables poll, changes still arrive within the 30 s budget ---------------------------
  started = Date.now()
  await demo.stack.faults.stopRealtime()
  await pm.waitForSelector('[data-testid=freshness][data-mode=polling]', { timeout: 30_000 })
  note(`Realtime stopped: the PM's badge says "${await pm.locator('[data-testid=freshness]').innerText()}" after ${Date.now() - started} ms`)
  await search(foreman, 'I-3011')
  const polledRow = foreman.locator('[data-testid=component]').first()
  const polledId = (await polledRow.getAttribute('data-id'))!
  await search(pm, 'I-3011')
  const polledBefore = (await row(pm, polledId).getAttribute('data-milestone'))!
  started = Date.now()
  await polledRow.locator('[data-testid=advance]').click()
  await pm.waitForFunction(
    ([key, was]) => document.querySelector(`[data-testid=component][data-id="${key}"]`)?.getAttribute('data-milestone') !== was,
    [polledId, polledBefore] as const,
    { timeout: 30_000 },
  )
  note(`  advance with Realtime down: on the PM's desktop after ${Date.now() - started} ms (polling; budget 30 s)`)
  started = Date.now()
  await demo.stack.faults.startRealtime()
  await pm.waitForSelector('[data-testid=freshness][data-mode=realtime]', { timeout: 60_000 })
  note(`Realtime back: the PM's badge says "live" again after ${Date.now() - started} ms`)

  if (shots) {
    await search(pm, '')
    await pm.waitForTimeout(500)
    await pm.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'construction-pm.png') })
    note('screenshots: docs/screenshots/construction-foreman.png (390×844), construction-pm.png (1280×800)')
  }
  note('OK')
} catch (error) {
  failed = true
  console.error(error)
} finally {
  await browser.close()
  await demo.close()
}
process.exit(failed ? 1 : 0)
