import { spawn } from 'node:child_process'
import WebSocket from 'ws'

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; bounded, never a fixed sleep. */
export async function waitFor<T>(check: () => T | undefined | false | null, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export interface RawFrame {
  binary: boolean
  /** Decoded JSON for text frames; the raw bytes for binary ones. */
  json?: unknown
  bytes?: Buffer
  at: number
}

/** A frame-level Phoenix client for wire conformance checks (what realtime-js hides). */
export class RawClient {
  readonly frames: RawFrame[] = []
  private ws!: WebSocket
  closeCode: number | undefined
  private ref = 0

  static async connect(baseUrl: string, query: Record<string, string>): Promise<RawClient> {
    const client = new RawClient()
    const url = new URL('/realtime/v1/websocket', baseUrl.replace(/^http/, 'ws'))
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    client.ws = new WebSocket(url)
    client.ws.binaryType = 'nodebuffer'
    client.ws.on('message', (data, isBinary) => {
      const buffer = data as Buffer
      client.frames.push(isBinary ? { binary: true, bytes: buffer, at: Date.now() } : { binary: false, json: JSON.parse(buffer.toString('utf8')), at: Date.now() })
    })
    client.ws.on('close', (code) => (client.closeCode = code))
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve())
      client.ws.once('error', reject)
    })
    return client
  }

  nextRef(): string {
    return String(++this.ref)
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value))
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary })
  }

  /** vsn 2 text frames as arrays. */
  arrays(): unknown[][] {
    return this.frames.filter((frame) => !frame.binary && Array.isArray(frame.json)).map((frame) => frame.json as unknown[])
  }

  async waitArray(predicate: (frame: unknown[]) => boolean, timeoutMs = 5000, what = 'frame'): Promise<unknown[]> {
    return waitFor(() => this.arrays().find(predicate), timeoutMs, what)
  }

  async waitClosed(timeoutMs = 5000): Promise<number> {
    return waitFor(() => this.closeCode, timeoutMs, 'socket close')
  }

  /** Stops reading from the TCP socket (a client that stalls): the server's frames pile up in the kernel, then in the server. */
  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  close(): void {
    this.ws.close()
  }

  terminate(): void {
    this.ws.terminate()
  }
}

/** Starts collecting what a realtime-js channel reports, for assertions. */
export function statusLog(): { statuses: string[]; errors: (Error | undefined)[]; callback: (status: string, error?: Error) => void } {
  const statuses: string[] = []
  const errors: (Error | undefined)[] = []
  return { statuses, errors, callback: (status, error) => (statuses.push(status), errors.push(error)) }
}

/**
 * Runs a TypeScript script in a child Node process (`node --import tsx`, not the tsx binary: that one is a
 * wrapper process, and a kill must hit the process that owns the resources). Collects stdout lines as they come.
 */
export function runTsChild(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const lines: string[] = []
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, lines, exit, stderr: () => stderr }
}
