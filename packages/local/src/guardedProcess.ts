import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/**
 * A child process that cannot outlive this Node process. Postgres and PostgREST do not notice when their parent
 * dies, so a test runner killed mid-run would leave them running; on POSIX each child therefore runs under a
 * tiny `sh` guard that stops it once this process is gone, and forwards INT/TERM to it.
 */
export interface GuardedProcess {
  readonly child: ChildProcess
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  readonly hasExited: boolean
  /** Sends `signal`, escalates to SIGKILL after `graceMs`, and resolves when the process is gone. Idempotent. */
  stop(signal?: 'SIGINT' | 'SIGTERM', graceMs?: number): Promise<void>
}

const GUARD_SCRIPT = (parentPid: number) => `
"$0" "$@" &
child=$!
trap 'kill -INT "$child" 2>/dev/null; wait "$child"; exit $?' INT
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?' TERM
parent_alive() { if [ -d /proc/self ]; then [ -d /proc/${parentPid} ]; else kill -0 ${parentPid} 2>/dev/null; fi; }
while kill -0 "$child" 2>/dev/null; do
  if ! parent_alive; then kill -TERM "$child" 2>/dev/null; fi
  sleep 1 & wait $!
done
wait "$child"
`

export function spawnGuarded(command: string, args: string[], options: SpawnOptions = {}): GuardedProcess {
  const child =
    process.platform === 'win32'
      ? spawn(command, args, options)
      : // Its own process group, so a last-resort SIGKILL reaches the guard and the guarded process alike.
        spawn('/bin/sh', ['-c', GUARD_SCRIPT(process.pid), command, ...args], { ...options, detached: true })
  let hasExited = false
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true
      resolve(code ?? signal ?? 'unknown')
    })
    child.once('error', () => {
      hasExited = true
      resolve('spawn-error')
    })
  })
  let stopping: Promise<void> | undefined
  return {
    child,
    exited,
    get hasExited() {
      return hasExited
    },
    stop(signal = 'SIGTERM', graceMs = 5000) {
      if (hasExited) return Promise.resolve()
      stopping ??= (async () => {
        child.kill(signal)
        const timer = setTimeout(() => {
          try {
            if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL')
            else child.kill('SIGKILL')
          } catch {
            // Already gone.
          }
        }, graceMs)
        await exited
        clearTimeout(timer)
        child.stdout?.destroy()
        child.stderr?.destroy()
      })()
      return stopping
    },
  }
}
