// How loaded a bench process (and the machine) was in each phase of a run: event-loop delay and CPU. The polling
// suite runs every observer in one child process and the stack with the writers in the runner, all on the same few
// cores; when a latency figure moves between runs, these say whether the machine kept up (a saturated event loop
// delays every delivery in the process, whatever client it is for).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { cpus } from 'node:os'

/** Load of one process over one phase. */
export interface PhaseLoadFigures {
  /** Event-loop delay percentiles over the phase, ms (timers late by this much; 10 ms sampling). */
  loopDelayP50Ms: number
  loopDelayP99Ms: number
  loopDelayMaxMs: number
  /** This process's CPU time (user + system) over the phase's wall time, % of one core. */
  processCpuPercent: number
  /** All cores busy (not idle) over the phase, % of the machine's capacity: other processes included. */
  machineBusyPercent: number
  /** Wall time of the phase, s. */
  seconds: number
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** Busy and total CPU time of all cores since boot, ms. */
function machineTimes(): { busy: number; total: number } {
  let busy = 0
  let total = 0
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times
    busy += user + nice + sys + irq
    total += user + nice + sys + irq + idle
  }
  return { busy, total }
}

/**
 * Records {@link PhaseLoadFigures} per phase: {@link enter} closes the phase before (if any) and starts the next one;
 * {@link stop} closes the last one and releases the event-loop monitor.
 */
export class PhaseLoad {
  readonly phases: Record<string, PhaseLoadFigures> = {}
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 })
  private current: { name: string; wall: number; cpu: NodeJS.CpuUsage; machine: { busy: number; total: number } } | undefined
  private stopped = false

  constructor() {
    this.histogram.enable()
  }

  /** Starts phase `name` (ignored once stopped). */
  enter(name: string): void {
    if (this.stopped) return
    this.close()
    this.histogram.reset()
    this.current = { name, wall: performance.now(), cpu: process.cpuUsage(), machine: machineTimes() }
  }

  /** Closes the running phase and releases the event-loop monitor; later calls do nothing. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.close()
    this.histogram.disable()
  }

  private close(): void {
    const phase = this.current
    if (!phase) return
    this.current = undefined
    const wallMs = performance.now() - phase.wall
    const cpu = process.cpuUsage(phase.cpu)
    const machine = machineTimes()
    const ms = (ns: number) => round(ns / 1e6)
    // A phase closed within one 10 ms sample has no delay sample yet: NaN percentiles, reported as 0.
    const percentile = (p: number) => (this.histogram.count > 0 ? ms(this.histogram.percentile(p)) : 0)
    // The same phase may be entered twice (e.g. a retried schedule): the later one wins.
    this.phases[phase.name] = {
      loopDelayP50Ms: percentile(50),
      loopDelayP99Ms: percentile(99),
      loopDelayMaxMs: this.histogram.count > 0 ? ms(this.histogram.max) : 0,
      processCpuPercent: wallMs > 0 ? round(((cpu.user + cpu.system) / 1000 / wallMs) * 100) : 0,
      machineBusyPercent: machine.total > phase.machine.total ? round(((machine.busy - phase.machine.busy) / (machine.total - phase.machine.total)) * 100) : 0,
      seconds: round(wallMs / 1000, 2),
    }
  }
}
