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
  /**
   * Server-set metadata for the kind-4 frame, at most `{"id": "<uuid>"}` or `{"id": …, "replayed": true}` on the
   * real server (database broadcasts, replay); null for client and REST broadcasts. Never the client's kind-3
   * metadata: the real server decodes that and ignores it (broadcast_handler.ex `build_broadcast/2`).
   */
  metadata: Record<string, unknown> | null
}

/** What a client frame decodes into: a plain message, or a kind-3 user broadcast push. */
export type InboundFrame =
  | { kind: 'message'; message: PhoenixMessage }
  | {
      kind: 'userBroadcast'
      joinRef: string | null
      ref: string | null
      topic: string
      /** `metadata` is always null here: the client's metadata is in `clientMetadata`, so it cannot reach a kind-4 frame. */
      broadcast: UserBroadcast
      /** The kind-3 metadata as the client sent it (realtime-js sends none unless `allowedMetadataKeys` is set); ignored, as the real server does. */
      clientMetadata: Record<string, unknown> | null
    }

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
  // Decoded (invalid JSON makes the frame malformed, as Jason.decode! does on the real server), then not forwarded.
  let clientMetadata: Record<string, unknown> | null = null
  if (metadataText.length > 0) {
    try {
      const parsed: unknown = JSON.parse(metadataText)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) clientMetadata = parsed as Record<string, unknown>
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
    broadcast: { userEvent, encoding: encoding === ENCODING_JSON ? 'json' : 'binary', bytes: Buffer.from(bytes), metadata: null },
    clientMetadata,
  }
}

/** Encodes a server message as a text frame for the socket's vsn. vsn 1.0.0 never carries join_ref. */
export function encodeText(message: PhoenixMessage, vsn: Vsn): string {
  if (vsn === '2.0.0') return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload])
  // Jason writes the V1 reply map with its keys sorted.
  return JSON.stringify({ event: message.event, payload: message.payload, ref: message.ref, topic: message.topic })
}

/** Each of topic, event and metadata has a one-byte length in a kind-4 frame (v2_serializer.ex `byte_size!`). */
export const MAX_BINARY_FIELD_BYTES = 255

/**
 * Why a kind-4 frame cannot carry these fields, or undefined when it can. `topic` is the frame topic
 * (`realtime:<sub-topic>`), so a sub-topic may have at most 246 bytes.
 */
export function userBroadcastFieldProblem(topic: string, userEvent: string, metadataJson = ''): string | undefined {
  const fields: [string, string][] = [
    ['topic (with its "realtime:" prefix)', topic],
    ['event', userEvent],
    ['metadata', metadataJson],
  ]
  for (const [name, value] of fields) {
    const size = Buffer.byteLength(value, 'utf8')
    if (size > MAX_BINARY_FIELD_BYTES) {
      return `the ${name} is ${size} bytes in UTF-8, but a binary broadcast frame allows at most ${MAX_BINARY_FIELD_BYTES}`
    }
  }
  return undefined
}

/**
 * Encodes a kind-4 binary user broadcast (vsn 2.0.0 receivers). Throws {@link FrameError} when topic, event
 * or metadata is over 255 bytes, where the real V2 serializer raises ArgumentError.
 */
export function encodeUserBroadcast(topic: string, broadcast: UserBroadcast): Buffer {
  const metadataJson = broadcast.metadata ? JSON.stringify(broadcast.metadata) : ''
  const problem = userBroadcastFieldProblem(topic, broadcast.userEvent, metadataJson)
  if (problem) throw new FrameError(`cannot encode a binary broadcast: ${problem}`)
  const topicBytes = Buffer.from(topic, 'utf8')
  const eventBytes = Buffer.from(broadcast.userEvent, 'utf8')
  const metadataBytes = Buffer.from(metadataJson, 'utf8')
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metadataBytes.length,
    broadcast.encoding === 'json' ? ENCODING_JSON : ENCODING_BINARY,
  ])
  return Buffer.concat([header, topicBytes, eventBytes, metadataBytes, broadcast.bytes])
}

/**
 * The JSON form of a user broadcast, for vsn 1.0.0 receivers and text-frame senders; with server-set
 * metadata it carries `meta`, as UserBroadcast.convert_to_json_broadcast/1 does.
 */
export function userBroadcastAsJson(broadcast: UserBroadcast): { event: string; payload: unknown; type: 'broadcast'; meta?: Record<string, unknown> } {
  // Binary payloads have no JSON form; callers never send this to vsn 1 receivers (they are dropped).
  const payload: unknown = broadcast.encoding === 'json' ? JSON.parse(broadcast.bytes.toString('utf8')) : null
  const json: { event: string; payload: unknown; type: 'broadcast'; meta?: Record<string, unknown> } = { event: broadcast.userEvent, payload, type: 'broadcast' }
  if (broadcast.metadata) json.meta = broadcast.metadata
  return json
}
