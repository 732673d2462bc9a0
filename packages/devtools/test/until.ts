/**
 * Waits for something asynchronous (the lazily loaded panel mounting) with a bound: checks after each short pause
 * and fails with what it waited for after `timeoutMs`, so a slow machine waits longer but a broken test still ends.
 */
export async function until(what: string, check: () => boolean, options: { timeoutMs?: number; pause?: () => Promise<void> } = {}): Promise<void> {
  const { timeoutMs = 10_000, pause = () => new Promise<void>((resolve) => setTimeout(resolve, 5)) } = options
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await pause()
  }
}
