/** Resolves after `ms` (bench phases and pacing only: tests wait for events instead). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` every `intervalMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) return false
    await sleep(intervalMs)
  }
  return true
}
