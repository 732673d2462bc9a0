#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { startLocalStack } from './startLocalStack.js'
import { stackSummary, untilStopSignal } from './stackSummary.js'

const USAGE = `Usage: supasync-local start [--sql file.sql]... [--seed file.sql]... [--user name=uuid]... [--port N] [--verbose]

Starts a local Supabase (Postgres, PostgREST, Realtime) and runs until Ctrl-C.
  --sql FILE    SQL run after the Supabase bootstrap (repeatable, in order)
  --seed FILE   SQL run after every --sql file (repeatable)
  --user N=UUID print a signed-in token (24 h) for that user id (repeatable)
  --port N      port of the HTTP front (default: a free port)
  --verbose     print Postgres, PostgREST and Realtime logs

Stops cleanly on Ctrl-C, SIGTERM and SIGHUP, and when the process that started it (npm) is gone.`

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        sql: { type: 'string', multiple: true },
        seed: { type: 'string', multiple: true },
        user: { type: 'string', multiple: true },
        port: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (positionals[0] !== 'start') {
    console.error(USAGE)
    return 2
  }
  const port = values.port === undefined ? undefined : Number(values.port)
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`--port must be a port number, got ${values.port}`)
    return 2
  }
  const users: [string, string][] = []
  for (const entry of values.user ?? []) {
    const match = /^([^=]+)=([0-9a-f-]{36})$/i.exec(entry)
    if (!match) {
      console.error(`--user must look like name=<uuid>, got ${entry}`)
      return 2
    }
    users.push([match[1]!, match[2]!])
  }
  const files = [...(values.sql ?? []), ...(values.seed ?? [])]
  const sql: string[] = []
  for (const file of files) {
    try {
      sql.push(await readFile(file, 'utf8'))
    } catch (error) {
      console.error(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
      return 2
    }
  }
  const startedAt = Date.now()
  const stack = await startLocalStack({ sql, port, log: values.verbose ? (line) => process.stderr.write(`${line.trimEnd()}\n`) : undefined })
  console.log(`supasync local stack is up (${Date.now() - startedAt} ms)\n\n${await stackSummary(stack, users)}\nPress Ctrl-C to stop.`)
  const signal = await untilStopSignal()
  console.log(`\nStopping (${signal})…`)
  await stack.stop()
  console.log('Stopped.')
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  },
)
