/**
 * Daily partitions of `realtime.messages`, kept the way the real server keeps them: yesterday to today+3 (UTC) are
 * created at start and by the janitor, and partitions older than 72 hours are dropped
 * (supabase/realtime lib/realtime/tenants.ex create_messages_partitions/1, lib/realtime/messages.ex delete_old_messages/1).
 */

/** Anything that runs SQL: a pg Client or Pool. */
export interface SqlRunner {
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>
}

const DAY_MS = 86_400_000
/** Messages stay replayable at least this long; whole days older than it are dropped. */
export const MESSAGES_RETENTION_MS = 72 * 3_600_000

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10)
const partitionName = (day: string) => `messages_${day.replaceAll('-', '_')}`

/** Creates the missing partitions from yesterday to today+3 and drops those past retention. Returns what it did. */
export async function maintainMessagePartitions(db: SqlRunner, now = Date.now()): Promise<{ created: string[]; dropped: string[] }> {
  const created: string[] = []
  const dropped: string[] = []
  const today = Math.floor(now / DAY_MS) * DAY_MS
  const { rows } = await db.query(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'realtime.messages'::regclass`,
  )
  const existing = new Set(rows.map((row) => String(row.name)))
  for (let offset = -1; offset <= 3; offset++) {
    const from = isoDay(today + offset * DAY_MS)
    const name = partitionName(from)
    if (existing.has(name)) continue
    try {
      await db.query(
        `create table if not exists realtime.${name} partition of realtime.messages ` +
          `for values from ('${from}') to ('${isoDay(today + (offset + 1) * DAY_MS)}')`,
      )
      await db.query(`alter table realtime.${name} owner to supabase_realtime_admin`)
      created.push(name)
    } catch (error) {
      // Another process created it meanwhile (duplicate_table): that is the wanted state.
      if ((error as { code?: string }).code !== '42P07') throw error
    }
  }
  const limit = isoDay(now - MESSAGES_RETENTION_MS)
  for (const name of existing) {
    const match = /^messages_(\d{4})_(\d{2})_(\d{2})$/.exec(name)
    if (!match) continue
    if (`${match[1]}-${match[2]}-${match[3]}` < limit) {
      await db.query(`drop table if exists realtime.${name}`)
      dropped.push(name)
    }
  }
  return { created, dropped }
}
