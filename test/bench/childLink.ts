// A forked child process of a bench suite, with typed waits on its messages: the runner's side of the link.
import { fork, type ChildProcess } from 'node:child_process'

export interface LinkMessage {
  type: string
  [key: string]: unknown
}

import { sleep } from './waitUntil.js'

/** A forked child with typed waits on its messages (a message that arrives before it is awaited is kept). */
export class ChildLink {
  private readonly inbox: LinkMessage[] = []
  private readonly waiters = new Set<{ type: string; resolve: (message: LinkMessage) => void; reject: (error: Error) => void }>()
  private exitCode: number | null | undefined

  private constructor(
    private readonly child: ChildProcess,
    /** How errors name the child, e.g. `core bench child "memory"`. */
    private readonly label: string,
  ) {
    child.on('message', (message: LinkMessage) => {
      for (const waiter of this.waiters) {
        if (waiter.type === message.type) {
          this.waiters.delete(waiter)
          waiter.resolve(message)
          return
        }
      }
      this.inbox.push(message)
    })
    child.once('exit', (code) => {
      this.exitCode = code
      for (const waiter of this.waiters) waiter.reject(new Error(`${label} exited (${code}) before sending "${waiter.type}"`))
      this.waiters.clear()
    })
  }

  /**
   * Forks `file` under tsx with `args`; `execArgv` adds Node flags (e.g. --expose-gc); `env` adds environment
   * variables to this process's (e.g. NODE_ENV=production for React's production build).
   */
  static fork(file: string, args: string[], execArgv: string[], label: string, env?: Record<string, string>): ChildLink {
    return new ChildLink(
      fork(file, args, { execArgv: [...execArgv, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: env === undefined ? undefined : { ...process.env, ...env } }),
      label,
    )
  }

  get exited(): boolean {
    return this.exitCode !== undefined
  }

  send(message: LinkMessage): void {
    if (this.exitCode === undefined && this.child.connected) this.child.send(message)
  }

  next<T extends LinkMessage>(type: string, timeoutMs: number): Promise<T> {
    const index = this.inbox.findIndex((message) => message.type === type)
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as T)
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.label} exited (${this.exitCode})`))
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (message: LinkMessage) => {
          clearTimeout(timer)
          resolve(message as T)
        },
        reject: (error: Error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`${this.label} sent no "${type}" within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  /** The child exits on its own after reporting; one that does not (a failed run) is killed. */
  async close(): Promise<void> {
    if (this.exitCode !== undefined) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    await Promise.race([exited, sleep(5000)])
    if (this.exitCode !== undefined) return
    this.child.kill()
    await Promise.race([exited, sleep(5000)])
  }
}
