import type { PgOutputMessage } from './pgoutput.js'
import type { RelationCatalog, RelationInfo } from './RelationCatalog.js'

/** One row change of a committed transaction, decoded and typed the way the Realtime server presents it. */
export interface DecodedChange {
  schema: string
  table: string
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  /** Commit time in the real server's format: UTC, millisecond precision (truncated), 'Z', e.g. '2026-11-23T07:28:00.123Z'. */
  commitTimestamp: string
  /** Commit time in microseconds since the Unix epoch (for latency measurement). */
  commitTimeMicros: number
  /**
   * All published columns of the relation in attnum order, with the pg typname (e.g. 'int8', 'text', '_int4').
   * Shared between the changes of one relation version: treat as read-only (so is `keyColumns`).
   */
  columns: { name: string; type: string; typeOid: number; isKey: boolean }[]
  /** New row (INSERT/UPDATE), to_jsonb-typed. Unchanged-TOAST columns are taken from the old tuple when present, otherwise omitted. */
  record?: Record<string, unknown>
  /**
   * Old row: key columns only under REPLICA IDENTITY DEFAULT (the 'K' tuple), all columns under FULL ('O').
   * An UPDATE without an old tuple (DEFAULT identity, key unchanged) gets the key columns of the new row, as the
   * real server sends a PK-only old_record. DELETE always has it.
   */
  oldRecord?: Record<string, unknown>
  /** Names of the replica-identity key columns (flag 1 in the Relation message); every column under FULL. */
  keyColumns: string[]
  /**
   * Primary key columns from the catalog (pg_index.indisprimary), in key order; the replica-identity key when the
   * table has no primary key. Unlike `keyColumns` this stays the primary key under REPLICA IDENTITY FULL.
   */
  primaryKey: string[]
  /** LSN of the change record, as Postgres prints pg_lsn. */
  lsn: string
  /** OID of the relation. */
  relationId: number
}

/**
 * Turns an Insert/Update/Delete message into a {@link DecodedChange} of the given relation. The commit time is left
 * empty: the caller fills it in from the transaction's Commit message.
 */
export function buildChange(
  lsn: string,
  catalog: RelationCatalog,
  relation: RelationInfo,
  message: Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>,
): DecodedChange | undefined {
  const base = {
    schema: relation.schema,
    table: relation.table,
    // Filled in at the Commit message, which carries the authoritative commit time.
    commitTimestamp: '',
    commitTimeMicros: 0,
    columns: relation.described,
    keyColumns: relation.keyColumns,
    primaryKey: relation.primaryKey,
    lsn,
    relationId: relation.id,
  }
  switch (message.tag) {
    case 'insert':
      return { ...base, type: 'INSERT', record: catalog.tupleToRecord(relation, message.newTuple, undefined, false) }
    case 'update': {
      const old = message.oldTuple
      const keyOnly = message.oldKind === 'K'
      const record = catalog.tupleToRecord(relation, message.newTuple, old, false, keyOnly)
      const oldRecord = old
        ? catalog.tupleToRecord(relation, old, undefined, keyOnly)
        : pickKeys(record, relation.keyColumns)
      return { ...base, type: 'UPDATE', record, oldRecord }
    }
    case 'delete':
      return {
        ...base,
        type: 'DELETE',
        oldRecord: catalog.tupleToRecord(relation, message.oldTuple, undefined, message.oldKind === 'K'),
      }
  }
}

function pickKeys(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const key of keys) if (key in record) picked[key] = record[key]
  return picked
}
