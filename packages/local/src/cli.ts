#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { startLocalStack } from './startLocalStack.js'

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
  console.log(`supasync local stack is up (${Date.now() - startedAt} ms)

  API URL          ${stack.url}
  REST             ${stack.url}/rest/v1
  Realtime         ${stack.url.replace('http', 'ws')}/realtime/v1/websocket
  anon key         ${stack.anonKey}
  service_role key ${stack.serviceRoleKey}
  JWT secret       ${stack.jwtSecret}
  Database URL     ${stack.databaseUrl}
${users.map(([name, id]) => `  ${`${name} token`.padEnd(17)}${stack.signJwt({ sub: id, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 86_400 })}\n`).join('')}${await describeData(stack, users)}
Press Ctrl-C to stop.`)
  const signal = await new Promise<string>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, () => resolve(name))
    // npm forwards SIGINT and SIGTERM, but a parent killed outright (or by SIGHUP) tells nobody: watch it.
    const parent = process.ppid
    const watch = setInterval(() => process.ppid !== parent && resolve('parent exited'), 500)
    watch.unref()
  })
  // A second signal while stopping: give up waiting and leave (the guards stop Postgres and PostgREST).
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, () => process.exit(130))
  console.log(`\nStopping (${signal})…`)
  await stack.stop()
  console.log('Stopped.')
  return 0
}

/** What the seed holds and who may see it (RLS), so the first query returns something. */
async function describeData(stack: Awaited<ReturnType<typeof startLocalStack>>, users: [string, string][]): Promise<string> {
  let lines = ''
  try {
    const { rows: projects } = await stack.query<{ id: string; name: string; members: string[] | null; components: string }>(
      `select p.id::text, p.name,
              (select array_agg(m.user_id::text order by m.user_id) from public.project_members m where m.project_id = p.id) as members,
              (select count(*)::text from public.components c where c.project_id = p.id) as components
         from public.projects p order by p.id`,
    )
    if (projects.length === 0) return ''
    const nameOf = new Map(users.map(([name, id]) => [id, name]))
    lines += '\n  Demo data (RLS applies: anon sees no projects; sign in as a user below)\n'
    for (const project of projects) {
      const members = (project.members ?? []).map((id) => nameOf.get(id) ?? id).join(', ') || 'nobody'
      lines += `    project ${project.id} "${project.name}": ${project.components} components, members: ${members}\n`
    }
    if (users[0]) {
      const [name, id] = users[0]
      lines +=
        `\n  As ${name}, on Node 20 (no global WebSocket; Node 22+ and browsers need no transport):\n` +
        `    import ws from 'ws'\n` +
        `    const supabase = createClient('${stack.url}', '<anon key>', {\n` +
        `      accessToken: async () => '<${name} token>',   // sub ${id}\n` +
        `      realtime: { transport: ws },\n` +
        `    })\n`
    }
  } catch {
    // Not the demo schema: nothing to describe.
  }
  return lines
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  },
)
