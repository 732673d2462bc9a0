import type pg from 'pg'
import { UNCHANGED_TOAST, type PgOutputMessage, type TupleValue } from './pgoutput.js'
import { pgTextToJson, type PgType } from './pgValues.js'
import type { DecodedChange } from './DecodedChange.js'

/** One published column of a relation, as its Relation message describes it. */
export interface ColumnInfo {
  name: string
  typeOid: number
  isKey: boolean
}

/** A relation version: what pgoutput's Relation message said, plus its primary key and column types from the catalog. */
export interface RelationInfo {
  id: number
  schema: string
  table: string
  columns: ColumnInfo[]
  keyColumns: string[]
  primaryKey: string[]
  /** The public column list, shared by every change of this relation version. */
  described: DecodedChange['columns']
}

interface TypeRow {
  oid: number
  typname: string
  typtype: string
  typelem: number
  typbasetype: number
  typrelid: number
  typdelim: string
  is_array: boolean
  fields: { name: string; type: number }[] | null
}

/**
 * What a {@link ChangeStream} knows about the relations and types it decodes: the relations announced by pgoutput's
 * Relation messages, their primary keys, and the pg_type rows needed to turn tuple text into to_jsonb-typed values.
 *
 * Types and primary keys are read from the catalog over the stream's own connection (so domains and composites
 * resolve fully); relations are forgotten with every new slot, since pgoutput re-sends them on each new session.
 */
export class RelationCatalog {
  private readonly relations = new Map<number, RelationInfo>()
  /** Primary key columns per relation, read when its Relation message arrives (a new one follows every ALTER). */
  private readonly primaryKeys = new Map<number, string[]>()
  private readonly types = new Map<number, TypeRow>()
  private readonly typeDescriptors = new Map<number, PgType>()

  /** @param reportError Receives values that could not be converted (they are delivered as text instead). */
  constructor(private readonly reportError: (error: Error) => void) {}

  /** Whether the pg_type row of this OID has been loaded. */
  hasType(typeOid: number): boolean {
    return this.types.has(typeOid)
  }

  /** The relation announced under this OID by the current slot's Relation messages, if any. */
  relation(relationId: number): RelationInfo | undefined {
    return this.relations.get(relationId)
  }

  /** Forgets the announced relations: a new slot re-sends a Relation message before each relation's first change. */
  clearRelations(): void {
    this.relations.clear()
  }

  /** Records a Relation message. Its column types and primary key must have been loaded first. */
  addRelation(message: Extract<PgOutputMessage, { tag: 'relation' }>): void {
    const columns = message.columns.map((column) => ({ name: column.name, typeOid: column.typeOid, isKey: column.isKey }))
    this.relations.set(message.relationId, {
      id: message.relationId,
      schema: message.schema,
      table: message.table,
      columns,
      keyColumns: columns.filter((column) => column.isKey).map((column) => column.name),
      primaryKey: this.primaryKeys.get(message.relationId) ?? columns.filter((column) => column.isKey).map((column) => column.name),
      described: columns.map((column) => ({
        name: column.name,
        type: this.types.get(column.typeOid)?.typname ?? 'unknown',
        typeOid: column.typeOid,
        isKey: column.isKey,
      })),
    })
  }

  /**
   * @param fallback Old tuple to take unchanged-TOAST values from.
   * @param keyOnly For 'K' tuples: Postgres fills non-key columns with NULL there, which are not real values.
   * @param fallbackKeyOnly The fallback is a 'K' tuple, so only its key columns hold real values.
   */
  tupleToRecord(
    relation: RelationInfo,
    tuple: TupleValue[],
    fallback: TupleValue[] | undefined,
    keyOnly: boolean,
    fallbackKeyOnly = false,
  ): Record<string, unknown> {
    const record: Record<string, unknown> = {}
    relation.columns.forEach((column, index) => {
      if (keyOnly && !column.isKey) return
      let value = tuple[index]
      if (value === UNCHANGED_TOAST && (column.isKey || !fallbackKeyOnly)) value = fallback?.[index]
      // Missing (a tuple shorter than the relation) or still unchanged-TOAST: the value is unknown, so omit it.
      if (value === undefined || value === UNCHANGED_TOAST) return
      if (value instanceof Uint8Array) {
        // Only produced in binary mode, which this stream never requests.
        record[column.name] = Buffer.from(value).toString('hex')
        return
      }
      record[column.name] = this.convert(value, column.typeOid)
    })
    return record
  }

  /** Reads the primary key columns of these relations (in key order); those without one are left to their replica identity. */
  async loadPrimaryKeys(client: pg.Client, relationIds: number[]): Promise<void> {
    const { rows } = await client.query<{ relid: string; cols: string[] }>(
      `select i.indrelid::int8::text as relid,
              array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) as cols
         from pg_index i
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey::int2[])
        where i.indisprimary and i.indrelid = any($1::oid[])
        group by i.indrelid`,
      [relationIds],
    )
    for (const id of relationIds) this.primaryKeys.delete(id)
    for (const row of rows) this.primaryKeys.set(Number(row.relid), row.cols)
  }

  /** Loads the given types and everything they refer to (domain bases, array elements, composite fields). */
  async loadTypes(client: pg.Client, oids: Set<number>): Promise<void> {
    let wanted = [...oids].filter((oid) => !this.types.has(oid))
    for (let round = 0; wanted.length > 0 && round < 16; round++) {
      const { rows } = await client.query<TypeRow>(
        `select t.oid::int4 as oid, t.typname, t.typtype, t.typelem::int4 as typelem, t.typbasetype::int4 as typbasetype,
                t.typrelid::int4 as typrelid, t.typdelim,
                (t.typelem <> 0 and t.typsubscript = 'array_subscript_handler'::regproc
                  and t.typname not in ('int2vector', 'oidvector')) as is_array,
                case when t.typtype = 'c' then (
                  select json_agg(json_build_object('name', a.attname, 'type', a.atttypid::int4) order by a.attnum)
                  from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
                ) end as fields
           from pg_type t where t.oid = any($1::oid[])`,
        [wanted],
      )
      const next = new Set<number>()
      for (const row of rows) {
        // OIDs above 2^31 come back negative from ::int4; map them to the unsigned value pgoutput uses.
        const fix = (oid: number) => (oid < 0 ? oid + 2 ** 32 : oid)
        const type: TypeRow = {
          ...row,
          oid: fix(row.oid),
          typelem: fix(row.typelem),
          typbasetype: fix(row.typbasetype),
          fields: row.fields?.map((field) => ({ name: field.name, type: fix(field.type) })) ?? null,
        }
        this.types.set(type.oid, type)
        this.typeDescriptors.clear()
        const refs = [type.typtype === 'd' ? type.typbasetype : 0, type.is_array ? type.typelem : 0]
        for (const field of type.fields ?? []) refs.push(field.type)
        for (const ref of refs) if (ref !== 0 && !this.types.has(ref)) next.add(ref)
      }
      wanted = [...next]
    }
  }

  private convert(text: string | null, typeOid: number): unknown {
    try {
      return pgTextToJson(text, this.descriptor(typeOid))
    } catch (error) {
      // A value this converter cannot parse is still worth delivering as the text Postgres sent.
      this.reportError(new Error(`Could not convert a value of type ${typeOid} to JSON: ${asError(error).message}`))
      return text
    }
  }

  private descriptor(typeOid: number, depth = 0): PgType {
    const cached = this.typeDescriptors.get(typeOid)
    if (cached) return cached
    const row = this.types.get(typeOid)
    let descriptor: PgType
    if (!row || depth > 16) {
      descriptor = { kind: 'base', name: 'unknown' }
    } else if (row.typtype === 'd') {
      // to_jsonb looks through domains to the base type.
      descriptor = this.descriptor(row.typbasetype, depth + 1)
    } else if (row.is_array) {
      const element = this.types.get(row.typelem)
      descriptor = { kind: 'array', element: this.descriptor(row.typelem, depth + 1), delimiter: element?.typdelim ?? ',' }
    } else if (row.typtype === 'c' && row.fields) {
      descriptor = {
        kind: 'composite',
        fields: row.fields.map((field) => ({ name: field.name, type: this.descriptor(field.type, depth + 1) })),
      }
    } else {
      descriptor = { kind: 'base', name: row.typname }
    }
    if (row) this.typeDescriptors.set(typeOid, descriptor)
    return descriptor
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
