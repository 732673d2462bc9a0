/**
 * Decoder for the binary `pgoutput` logical decoding protocol, version 1
 * (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html).
 *
 * Each row returned by `pg_logical_slot_get_binary_changes(..., 'proto_version', '1', ...)` carries exactly one
 * message; {@link decodePgOutputMessage} turns one such buffer into a typed object. It is pure: relation and type
 * bookkeeping is the caller's job (see `ChangeStream`).
 */

/** Microseconds between the Unix epoch and the Postgres epoch (2000-01-01T00:00:00Z). */
export const POSTGRES_EPOCH_OFFSET_MICROS = 946_684_800_000_000n

/** Marks a column whose value is an unchanged TOASTed datum that Postgres did not write to WAL ('u'). */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast')

/**
 * One column of a TupleData: `null` for SQL NULL ('n'), {@link UNCHANGED_TOAST} ('u'), the text output of the
 * type ('t'), or raw bytes for binary-mode output ('b', only when the slot is read with `binary 'true'`).
 */
export type TupleValue = string | null | typeof UNCHANGED_TOAST | Uint8Array

/** One column described by a Relation message. */
export interface RelationColumn {
  name: string
  typeOid: number
  typeModifier: number
  /** True when the column is part of the replica identity (flag bit 1). */
  isKey: boolean
}

/** Replica identity setting of a relation: 'd' default, 'n' nothing, 'f' full, 'i' index. */
export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i'

export interface BeginMessage {
  tag: 'begin'
  /** LSN of the transaction's commit record. */
  finalLsn: string
  /** Commit time, microseconds since 2000-01-01 UTC. */
  commitTime: bigint
  xid: number
}

export interface CommitMessage {
  tag: 'commit'
  flags: number
  commitLsn: string
  endLsn: string
  /** Commit time, microseconds since 2000-01-01 UTC. */
  commitTime: bigint
}

export interface OriginMessage {
  tag: 'origin'
  originLsn: string
  name: string
}

export interface RelationMessage {
  tag: 'relation'
  relationId: number
  /** Schema name; pgoutput sends '' for pg_catalog, which is normalised back to 'pg_catalog' here. */
  schema: string
  table: string
  replicaIdentity: ReplicaIdentity
  columns: RelationColumn[]
}

export interface TypeMessage {
  tag: 'type'
  typeOid: number
  /** Schema name; '' from the wire is normalised to 'pg_catalog'. */
  schema: string
  name: string
}

export interface InsertMessage {
  tag: 'insert'
  relationId: number
  newTuple: TupleValue[]
}

export interface UpdateMessage {
  tag: 'update'
  relationId: number
  /** 'K' when the old key changed (identity DEFAULT/INDEX), 'O' under REPLICA IDENTITY FULL, absent otherwise. */
  oldKind?: 'K' | 'O'
  oldTuple?: TupleValue[]
  newTuple: TupleValue[]
}

export interface DeleteMessage {
  tag: 'delete'
  relationId: number
  oldKind: 'K' | 'O'
  oldTuple: TupleValue[]
}

export interface TruncateMessage {
  tag: 'truncate'
  /** Bit 1: CASCADE, bit 2: RESTART IDENTITY. */
  options: number
  relationIds: number[]
}

export interface LogicalMessage {
  tag: 'message'
  transactional: boolean
  lsn: string
  prefix: string
  content: Uint8Array
}

/** Any message this decoder understands. */
export type PgOutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage

/** Thrown when a buffer is not a well-formed pgoutput v1 message. */
export class PgOutputDecodeError extends Error {
  override name = 'PgOutputDecodeError'
}

/** Formats a 64-bit LSN the way Postgres (up to 18) prints `pg_lsn`: `%X/%X`, e.g. `0/1A8EDD8`. */
export function formatLsn(lsn: bigint): string {
  const high = Number(lsn >> 32n).toString(16).toUpperCase()
  const low = Number(lsn & 0xffff_ffffn).toString(16).toUpperCase()
  return `${high}/${low}`
}

/** Converts a pgoutput timestamp (µs since 2000-01-01 UTC) to microseconds since the Unix epoch. */
export function pgTimestampToUnixMicros(pgMicros: bigint): number {
  // Number is exact here: Unix microseconds stay below 2^53 until the year 2255.
  return Number(pgMicros + POSTGRES_EPOCH_OFFSET_MICROS)
}

const utf8 = new TextDecoder('utf-8', { fatal: false })

/** Sequential big-endian reader over one message. Bounds are checked so truncated input fails loudly. */
class Reader {
  private offset = 0
  private readonly view: DataView

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  private need(length: number): void {
    if (this.offset + length > this.bytes.byteLength) {
      throw new PgOutputDecodeError(
        `pgoutput message truncated: need ${length} byte(s) at offset ${this.offset}, have ${this.bytes.byteLength}`,
      )
    }
  }

  get done(): boolean {
    return this.offset >= this.bytes.byteLength
  }

  uint8(): number {
    this.need(1)
    return this.view.getUint8(this.offset++)
  }

  char(): string {
    return String.fromCharCode(this.uint8())
  }

  int16(): number {
    this.need(2)
    const value = this.view.getInt16(this.offset)
    this.offset += 2
    return value
  }

  int32(): number {
    this.need(4)
    const value = this.view.getInt32(this.offset)
    this.offset += 4
    return value
  }

  /** OIDs and xids are unsigned 32-bit on the wire. */
  uint32(): number {
    this.need(4)
    const value = this.view.getUint32(this.offset)
    this.offset += 4
    return value
  }

  int64(): bigint {
    this.need(8)
    const value = this.view.getBigInt64(this.offset)
    this.offset += 8
    return value
  }

  uint64(): bigint {
    this.need(8)
    const value = this.view.getBigUint64(this.offset)
    this.offset += 8
    return value
  }

  lsn(): string {
    return formatLsn(this.uint64())
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset)
    if (end < 0) throw new PgOutputDecodeError(`pgoutput string at offset ${this.offset} is not NUL-terminated`)
    const value = utf8.decode(this.bytes.subarray(this.offset, end))
    this.offset = end + 1
    return value
  }

  bytesOf(length: number): Uint8Array {
    if (length < 0) throw new PgOutputDecodeError(`negative length ${length} at offset ${this.offset}`)
    this.need(length)
    const value = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }

  tuple(): TupleValue[] {
    const count = this.int16()
    const values: TupleValue[] = new Array<TupleValue>(count)
    for (let i = 0; i < count; i++) {
      const kind = this.char()
      switch (kind) {
        case 'n':
          values[i] = null
          break
        case 'u':
          values[i] = UNCHANGED_TOAST
          break
        case 't':
          values[i] = utf8.decode(this.bytesOf(this.int32()))
          break
        case 'b':
          values[i] = this.bytesOf(this.int32())
          break
        default:
          throw new PgOutputDecodeError(`unknown TupleData column kind ${JSON.stringify(kind)}`)
      }
    }
    return values
  }
}

function schemaName(wire: string): string {
  return wire === '' ? 'pg_catalog' : wire
}

/**
 * Decodes one pgoutput (protocol version 1) message.
 *
 * Returns `undefined` for message kinds that are valid but not modelled (none in v1 besides the ones listed;
 * streaming and two-phase messages of later protocol versions are reported as undefined so a newer server
 * cannot break the reader). Throws {@link PgOutputDecodeError} on malformed input.
 */
export function decodePgOutputMessage(data: Uint8Array): PgOutputMessage | undefined {
  const reader = new Reader(data)
  const tag = reader.char()
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: reader.lsn(), commitTime: reader.int64(), xid: reader.uint32() }
    case 'C':
      return {
        tag: 'commit',
        flags: reader.uint8(),
        commitLsn: reader.lsn(),
        endLsn: reader.lsn(),
        commitTime: reader.int64(),
      }
    case 'O':
      return { tag: 'origin', originLsn: reader.lsn(), name: reader.cstring() }
    case 'R': {
      const relationId = reader.uint32()
      const schema = schemaName(reader.cstring())
      const table = reader.cstring()
      const replicaIdentity = reader.char() as ReplicaIdentity
      const count = reader.int16()
      const columns: RelationColumn[] = []
      for (let i = 0; i < count; i++) {
        const flags = reader.uint8()
        columns.push({ isKey: (flags & 1) === 1, name: reader.cstring(), typeOid: reader.uint32(), typeModifier: reader.int32() })
      }
      return { tag: 'relation', relationId, schema, table, replicaIdentity, columns }
    }
    case 'Y':
      return { tag: 'type', typeOid: reader.uint32(), schema: schemaName(reader.cstring()), name: reader.cstring() }
    case 'I': {
      const relationId = reader.uint32()
      const marker = reader.char()
      if (marker !== 'N') throw new PgOutputDecodeError(`Insert: expected 'N', got ${JSON.stringify(marker)}`)
      return { tag: 'insert', relationId, newTuple: reader.tuple() }
    }
    case 'U': {
      const relationId = reader.uint32()
      let marker = reader.char()
      let oldKind: 'K' | 'O' | undefined
      let oldTuple: TupleValue[] | undefined
      if (marker === 'K' || marker === 'O') {
        oldKind = marker
        oldTuple = reader.tuple()
        marker = reader.char()
      }
      if (marker !== 'N') throw new PgOutputDecodeError(`Update: expected 'N', got ${JSON.stringify(marker)}`)
      const newTuple = reader.tuple()
      return oldKind && oldTuple
        ? { tag: 'update', relationId, oldKind, oldTuple, newTuple }
        : { tag: 'update', relationId, newTuple }
    }
    case 'D': {
      const relationId = reader.uint32()
      const marker = reader.char()
      if (marker !== 'K' && marker !== 'O') {
        throw new PgOutputDecodeError(`Delete: expected 'K' or 'O', got ${JSON.stringify(marker)}`)
      }
      return { tag: 'delete', relationId, oldKind: marker, oldTuple: reader.tuple() }
    }
    case 'T': {
      const count = reader.int32()
      const options = reader.uint8()
      const relationIds: number[] = []
      for (let i = 0; i < count; i++) relationIds.push(reader.uint32())
      return { tag: 'truncate', options, relationIds }
    }
    case 'M': {
      const flags = reader.uint8()
      const lsn = reader.lsn()
      const prefix = reader.cstring()
      const content = reader.bytesOf(reader.int32())
      return { tag: 'message', transactional: (flags & 1) === 1, lsn, prefix, content }
    }
    default:
      // Stream*/prepare messages only exist in protocol versions 2+; never requested here.
      return undefined
  }
}
