/**
 * Phoenix wire framing as the Supabase Realtime server speaks it: vsn 1.0.0 (JSON objects) and vsn 2.0.0
 * (JSON arrays, plus the binary user-broadcast frames kind 3 in and kind 4 out).
 * See research/realtime-protocol.md §1.2.
 */

export type Vsn = '1.0.0' | '2.0.0'

/** One decoded or to-be-encoded Phoenix message. */
export interface PhoenixMessage {
  joinRef: string | null
  ref: string | null
  topic: string
  event: string
  payload: unknown
}

/** A broadcast whose user payload is kept as raw bytes, so it can be forwarded as sent (kind 3 → kind 4). */
export interface UserBroadcast {
  userEvent: string
  /** 'json' when the bytes are UTF-8 JSON text, 'binary' for an ArrayBuffer payload. */
  encoding: 'json' | 'binary'
  bytes: Buffer
  /** Only the keys the client may set (`persist`); empty when the client sent none. */
  metadata: Record<string, unknown> | null
}

/** What a client frame decodes into: a plain message, or a kind-3 user broadcast push. */
export type InboundFrame =
  | { kind: 'message'; message: PhoenixMessage }
  | { kind: 'userBroadcast'; joinRef: string | null; ref: string | null; topic: string; broadcast: UserBroadcast }

export class FrameError extends Error {
  override name = 'FrameError'
}

const KIND_USER_BROADCAST_PUSH = 3
const KIND_USER_BROADCAST = 4
const ENCODING_BINARY = 0
const ENCODING_JSON = 1

const asRef = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  throw new FrameError('ref and join_ref must be strings or null')
}

/** Decodes one client frame. Throws {@link FrameError} for anything the real server could not decode. */
export function decodeFrame(data: Buffer | string, isBinary: boolean, vsn: Vsn): InboundFrame {
  if (isBinary) {
    if (vsn !== '2.0.0') throw new FrameError('binary frames need vsn 2.0.0')
    return decodeBinary(typeof data === 'string' ? Buffer.from(data) : data)
  }
  const text = typeof data === 'string' ? data : data.toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new FrameError('frame is not valid JSON')
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length < 5) throw new FrameError('vsn 2.0.0 text frames are [join_ref, ref, topic, event, payload]')
    const [joinRef, ref, topic, event, payload] = parsed as unknown[]
    return { kind: 'message', message: checked({ joinRef: asRef(joinRef), ref: asRef(ref), topic, event, payload }) }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FrameError('vsn 1.0.0 frames are JSON objects')
  const object = parsed as Record<string, unknown>
  return {
    kind: 'message',
    message: checked({
      joinRef: asRef(object.join_ref),
      ref: asRef(object.ref),
      topic: object.topic,
      event: object.event,
      payload: object.payload,
    }),
  }
}

function checked(message: { joinRef: string | null; ref: string | null; topic: unknown; event: unknown; payload: unknown }): PhoenixMessage {
  if (typeof message.topic !== 'string' || typeof message.event !== 'string') throw new FrameError('topic and event must be strings')
  return { ...message, topic: message.topic, event: message.event }
}

function decodeBinary(buffer: Buffer): InboundFrame {
  if (buffer.length < 1) throw new FrameError('empty binary frame')
  const kind = buffer[0]
  if (kind !== KIND_USER_BROADCAST_PUSH) throw new FrameError(`unsupported binary frame kind ${kind}`)
  const headerLength = 7
  if (buffer.length < headerLength) throw new FrameError('truncated binary frame')
  const lengths = [buffer[1]!, buffer[2]!, buffer[3]!, buffer[4]!, buffer[5]!]
  const encoding = buffer[6]
  let offset = headerLength
  const fields: string[] = []
  for (const length of lengths) {
    if (offset + length > buffer.length) throw new FrameError('truncated binary frame')
    fields.push(buffer.toString('utf8', offset, offset + length))
    offset += length
  }
  const [joinRef, ref, topic, userEvent, metadataText] = fields as [string, string, string, string, string]
  let metadata: Record<string, unknown> | null = null
  if (metadataText.length > 0) {
    try {
      const parsed: unknown = JSON.parse(metadataText)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>
    } catch {
      throw new FrameError('binary frame metadata is not JSON')
    }
  }
  if (encoding !== ENCODING_BINARY && encoding !== ENCODING_JSON) throw new FrameError(`unknown payload encoding ${encoding}`)
  const bytes = buffer.subarray(offset)
  if (encoding === ENCODING_JSON) {
    try {
      JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new FrameError('binary frame JSON payload is not JSON')
    }
  }
  return {
    kind: 'userBroadcast',
    joinRef: joinRef === '' ? null : joinRef,
    ref: ref === '' ? null : ref,
    topic,
    broadcast: { userEvent, encoding: encoding === ENCODING_JSON ? 'json' : 'binary', bytes: Buffer.from(bytes), metadata },
  }
}

/** Encodes a server message as a text frame for the socket's vsn. vsn 1.0.0 never carries join_ref. */
export function encodeText(message: PhoenixMessage, vsn: Vsn): string {
  if (vsn === '2.0.0') return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload])
  // Jason writes the V1 reply map with its keys sorted.
  return JSON.stringify({ event: message.event, payload: message.payload, ref: message.ref, topic: message.topic })
}

/** Encodes a kind-4 binary user broadcast (vsn 2.0.0 receivers of a kind-3 sender). */
export function encodeUserBroadcast(topic: string, broadcast: UserBroadcast): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8')
  const eventBytes = Buffer.from(broadcast.userEvent, 'utf8')
  const metadataBytes = broadcast.metadata ? Buffer.from(JSON.stringify(broadcast.metadata), 'utf8') : Buffer.alloc(0)
  if (topicBytes.length > 255 || eventBytes.length > 255 || metadataBytes.length > 255) {
    throw new FrameError('topic, event and metadata must each be at most 255 bytes in a binary frame')
  }
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metadataBytes.length,
    broadcast.encoding === 'json' ? ENCODING_JSON : ENCODING_BINARY,
  ])
  return Buffer.concat([header, topicBytes, eventBytes, metadataBytes, broadcast.bytes])
}

/** The JSON form of a user broadcast, for vsn 1.0.0 receivers and text-frame senders. */
export function userBroadcastAsJson(broadcast: UserBroadcast): { event: string; payload: unknown; type: 'broadcast' } {
  // Binary payloads have no JSON form; callers never send this to vsn 1 receivers (they are dropped).
  const payload: unknown = broadcast.encoding === 'json' ? JSON.parse(broadcast.bytes.toString('utf8')) : null
  return { event: broadcast.userEvent, payload, type: 'broadcast' }
}
