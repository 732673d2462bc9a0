import { manualPort, type TimerPort } from '@supasync/core'
import { RequestFailure, type QueueExecutor, type QueueRequest } from '../src/index.js'

export { waitFor } from '../../local/test/helpers.js'

/** An executor double: records requests, answers with the next scripted outcome (default: success). */
export function scriptedExecutor(script: ((request: QueueRequest) => RequestFailure | undefined | Promise<void>)[] = []) {
  const requests: { request: QueueRequest; at: number }[] = []
  const executor: QueueExecutor = {
    async execute(request) {
      requests.push({ request, at: Date.now() })
      const step = script.shift()
      const outcome = step?.(request)
      if (outcome instanceof RequestFailure) throw outcome
      await outcome
    },
  }
  return { executor, requests }
}

/** Real timers that count what is scheduled and not yet fired or cleared. */
export function countingTimers(): TimerPort & { readonly active: number } {
  const live = new Set<ReturnType<typeof setTimeout>>()
  return {
    setTimeout(callback, ms) {
      const handle = setTimeout(() => {
        live.delete(handle)
        callback()
      }, ms)
      live.add(handle)
      return handle
    },
    clearTimeout(handle) {
      live.delete(handle as ReturnType<typeof setTimeout>)
      clearTimeout(handle as ReturnType<typeof setTimeout>)
    },
    now: () => Date.now(),
    get active() {
      return live.size
    },
  }
}

/** Ports for unit tests: counted timers, manual network and visibility. */
export function testPorts() {
  return { timers: countingTimers(), network: manualPort(true), visibility: manualPort(true) }
}

export const fastRetry = { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 }
