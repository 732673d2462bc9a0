import { chromiumPath } from './browser.js'

/** Decompresses Chromium once, before any test file runs (parallel workers would race on the same file). */
export default async function setup(): Promise<void> {
  await chromiumPath()
}
