import { describe, expect, it } from 'vitest'
import { PhaseLoad } from './phaseLoad.js'

/** Keeps the event loop (and a core) busy for `ms`. */
function block(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy on purpose: the loop delay and CPU time this causes are what is measured
  }
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 20))

describe('PhaseLoad (event-loop delay and CPU per phase)', () => {
  it('records each phase on its own: a blocked event loop shows as delay and CPU of that phase only', async () => {
    const load = new PhaseLoad()
    load.enter('blocked')
    await turn()
    block(300)
    await turn()
    load.enter('idle')
    await new Promise<void>((resolve) => setTimeout(resolve, 150))
    load.stop()
    const { blocked, idle } = load.phases
    // The monitor samples every 10 ms: a 300 ms block delays one sample by at least ~290 ms.
    expect(blocked!.loopDelayMaxMs).toBeGreaterThanOrEqual(250)
    expect(blocked!.processCpuPercent).toBeGreaterThan(idle!.processCpuPercent)
    expect(idle!.loopDelayMaxMs).toBeLessThan(blocked!.loopDelayMaxMs)
    for (const phase of [blocked!, idle!]) {
      expect(phase.seconds).toBeGreaterThan(0)
      expect(phase.machineBusyPercent).toBeGreaterThanOrEqual(0)
      expect(phase.machineBusyPercent).toBeLessThanOrEqual(100)
    }
    // Stopped: nothing is recorded any more.
    load.enter('after stop')
    load.stop()
    expect(Object.keys(load.phases)).toEqual(['blocked', 'idle'])
  })
})
