import { mkdir, stat } from 'node:fs/promises'
import { afterAll, beforeAll } from 'vitest'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { startDemo, type AppName, type Demo } from '../../examples/dev/startDemo.js'
import { launchChromium } from './browser.js'

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1280, height: 800 }

/**
 * The demo stack serving `app` and one Chromium for a test file; every context opened through it is closed after the
 * file, then the browser and the stack.
 */
export function useDemo(app: AppName) {
  let demo: Demo | undefined
  let browser: Browser | undefined
  const contexts: BrowserContext[] = []
  beforeAll(async () => {
    ;[demo, browser] = await Promise.all([startDemo({ apps: [app] }), launchChromium()])
  }, 120_000)
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    await demo?.close()
  })
  const started = () => {
    if (!demo || !browser) throw new Error('useDemo(): the demo starts in beforeAll; use it inside tests')
    return { demo, browser }
  }
  return {
    get demo(): Demo {
      return started().demo
    },
    /** A new browser context (a person, a device) tracked for cleanup. */
    async context(viewport = DESKTOP): Promise<BrowserContext> {
      const context = await started().browser.newContext({ viewport })
      contexts.push(context)
      return context
    },
    /** A new context with one page at `path` of the app. */
    async open(path: string, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
      const context = await this.context(viewport)
      const page = await context.newPage()
      await page.goto(`${started().demo.urls[app]}${path}`)
      return { context, page }
    },
  }
}

/**
 * An attribute now, or null when the element is not in the DOM (getAttribute alone would wait up to 30 s for it, and an
 * element can go between the count and the read).
 */
export async function attributeOf(locator: Locator, name: string): Promise<string | null> {
  if ((await locator.count()) === 0) return null
  return locator.first().getAttribute(name, { timeout: 500 }).catch(() => null)
}

/** Waits (polling the DOM) until `check` holds; returns how long it took, in ms. */
export async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check()) return Date.now() - started
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Where the e2e run leaves its screenshots (ignored by git; CI keeps them as artifacts). */
export const SCREENSHOTS = 'test-results/screenshots'

/**
 * Opens the supasync devtools panel of `page` (a button in an open shadow root: Playwright's CSS selectors pierce it)
 * on `tab`, and returns the panel's text there.
 */
export async function openDevtools(page: Page, tab: 'connection' | 'channels' | 'liveTables' | 'queue' | 'presence'): Promise<Locator> {
  const panel = page.locator('[data-supasync-devtools-panel]')
  // The wrappers load the panel lazily: wait for it, closed (its toggle) or open (its tabs).
  await panel.locator('button[data-action="open"], button[data-tab]').first().waitFor({ timeout: 15_000 })
  const toggle = panel.locator('button[data-action="open"]')
  if ((await toggle.count()) > 0) await toggle.click()
  await panel.locator(`button[data-tab="${tab}"]`).click()
  await panel.locator(`button[data-tab="${tab}"][aria-selected="true"]`).waitFor({ timeout: 5000 })
  return panel.locator('[data-body]')
}

/** A full-page screenshot under SCREENSHOTS; returns its path and size in bytes. */
export async function screenshot(page: Page, name: string): Promise<{ path: string; bytes: number }> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const path = `${SCREENSHOTS}/${name}.png`
  await page.screenshot({ path })
  return { path, bytes: (await stat(path)).size }
}
