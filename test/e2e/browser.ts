import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { chromium, type Browser } from 'playwright-core'

const run = promisify(execFile)

/**
 * Our own flags, not @sparticuz/chromium's Lambda set: its `--single-process` lets a BroadcastChannel message of one
 * browser context reach another (measured in the project's research, bindings-anchors.md §4.2). `--no-sandbox`: the
 * tests run as root in CI.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-zygote', '--disable-dev-shm-usage']

async function works(path: string): Promise<boolean> {
  try {
    await run(path, ['--version'], { timeout: 20_000 })
    return true
  } catch {
    return false
  }
}

/**
 * The Chromium binary: `SUPASYNC_CHROMIUM` if set, else the one @sparticuz/chromium ships (npm installs it; it is
 * decompressed on first use into the OS temp directory). A decompression killed half-way leaves a broken binary that
 * the package would trust forever: one that does not run is removed and decompressed again.
 */
export async function chromiumPath(): Promise<string> {
  const override = process.env.SUPASYNC_CHROMIUM
  if (override) {
    if (!(await works(override))) throw new Error(`SUPASYNC_CHROMIUM=${override} does not run (${override} --version failed). Point it at a Chromium or Chrome binary, or unset it to use @sparticuz/chromium.`)
    return override
  }
  const { default: sparticuz } = await import('@sparticuz/chromium')
  let path = await sparticuz.executablePath()
  if (!(await works(path))) {
    await rm(path, { force: true })
    path = await sparticuz.executablePath()
    if (!(await works(path))) throw new Error(`@sparticuz/chromium's binary at ${path} does not run. Set SUPASYNC_CHROMIUM to a Chromium binary (e.g. /usr/bin/chromium).`)
  }
  return path
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: CHROMIUM_ARGS, headless: true })
}
