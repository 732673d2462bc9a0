import type { LocalStack } from './startLocalStack.js'

/**
 * What a running stack offers, as `supasync-local start` (and `npm start` of the repository) prints it: URLs, keys, a
 * signed-in token (24 h) per `[name, user id]`, and, with the demo schema loaded, who may see which project.
 */
export async function stackSummary(stack: LocalStack, users: readonly (readonly [string, string])[] = []): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + 86_400
  return `  API URL          ${stack.url}
  REST             ${stack.url}/rest/v1
  Realtime         ${stack.url.replace('http', 'ws')}/realtime/v1/websocket
  anon key         ${stack.anonKey}
  service_role key ${stack.serviceRoleKey}
  JWT secret       ${stack.jwtSecret}
  Database URL     ${stack.databaseUrl}
${users.map(([name, id]) => `  ${`${name} token`.padEnd(17)}${stack.signJwt({ sub: id, role: 'authenticated', exp })}\n`).join('')}${await describeData(stack, users)}`
}

/** What the seed holds and who may see it (RLS), so the first query returns something. */
async function describeData(stack: LocalStack, users: readonly (readonly [string, string])[]): Promise<string> {
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

/**
 * Resolves with the name of the first stop request: Ctrl-C, SIGTERM, SIGHUP, or the parent process (npm) gone. npm
 * forwards SIGINT and SIGTERM, but a parent killed outright (or by SIGHUP) tells nobody, so the parent is watched.
 * A second signal while stopping exits at once (the guards stop Postgres and PostgREST).
 */
export function untilStopSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    const stop = (name: string) => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130))
      resolve(name)
    }
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, () => stop(name))
    const parent = process.ppid
    const watch = setInterval(() => process.ppid !== parent && stop('parent exited'), 500)
    watch.unref()
  })
}
