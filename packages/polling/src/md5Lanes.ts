// MD5 (RFC 1321) of a string's UTF-8 bytes, reduced to what a key digest needs: the first 8 bytes of the digest as
// two unsigned 32-bit numbers, in the order Postgres prints them. Postgres's md5(text) is the only hash every
// Postgres has built in (no extension, no superuser), so the client hashes keys the same way to compare its view
// with the server's rows (see KeyDigest). Not for security: the digest only has to notice that two key sets differ.

/** Per-round left rotations (RFC 1321 §3.4), four per round. */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]

/** T[i] = floor(|sin(i + 1)| × 2^32) (RFC 1321 §3.4), as signed 32-bit integers. */
const T = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32))

/** Reused between calls: hashing 100,000 keys must not allocate 100,000 buffers. */
let buffer = new Uint8Array(128)
const words = new Int32Array(16)

/** Writes `text` as UTF-8 into `buffer` (grown when needed); returns the byte length. Lone surrogates become U+FFFD. */
function encodeUtf8(text: string): number {
  // 3 bytes per UTF-16 unit at most, plus the padding and length (up to 72 bytes).
  const needed = text.length * 3 + 72
  if (buffer.length < needed) buffer = new Uint8Array(Math.max(needed, buffer.length * 2))
  let at = 0
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) {
      buffer[at++] = code
      continue
    }
    if (code < 0x800) {
      buffer[at++] = 0xc0 | (code >> 6)
      buffer[at++] = 0x80 | (code & 0x3f)
      continue
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
        i++
        buffer[at++] = 0xf0 | (code >> 18)
        buffer[at++] = 0x80 | ((code >> 12) & 0x3f)
        buffer[at++] = 0x80 | ((code >> 6) & 0x3f)
        buffer[at++] = 0x80 | (code & 0x3f)
        continue
      }
      code = 0xfffd
    }
    buffer[at++] = 0xe0 | (code >> 12)
    buffer[at++] = 0x80 | ((code >> 6) & 0x3f)
    buffer[at++] = 0x80 | (code & 0x3f)
  }
  return at
}

/** Reads a 32-bit swap of `value`: MD5 keeps words little-endian, Postgres prints the bytes in order. */
function byteSwap(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0
}

/**
 * The first two 32-bit words of md5(`text`) as Postgres's hex prints them: `[parseInt(hex.slice(0, 8), 16),
 * parseInt(hex.slice(8, 16), 16)]`, where hex is `md5(text)` in SQL (text in UTF-8).
 */
export function md5Lanes(text: string): [number, number] {
  const length = encodeUtf8(text)
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian number.
  let end = length
  buffer[end++] = 0x80
  while (end % 64 !== 56) buffer[end++] = 0
  const bits = length * 8
  buffer[end++] = bits & 0xff
  buffer[end++] = (bits >>> 8) & 0xff
  buffer[end++] = (bits >>> 16) & 0xff
  buffer[end++] = (bits >>> 24) & 0xff
  // Keys are far below 512 MB: the high word of the length is 0.
  const high = Math.floor(bits / 2 ** 32)
  buffer[end++] = high & 0xff
  buffer[end++] = (high >>> 8) & 0xff
  buffer[end++] = (high >>> 16) & 0xff
  buffer[end++] = (high >>> 24) & 0xff

  let a0 = 0x67452301
  let b0 = 0xefcdab89 | 0
  let c0 = 0x98badcfe | 0
  let d0 = 0x10325476
  for (let block = 0; block < end; block += 64) {
    for (let w = 0; w < 16; w++) {
      const at = block + w * 4
      words[w] = buffer[at]! | (buffer[at + 1]! << 8) | (buffer[at + 2]! << 16) | (buffer[at + 3]! << 24)
    }
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (d & b) | (~d & c)
        g = (5 * i + 1) % 16
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) % 16
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) % 16
      }
      const sum = (a + f + T[i]! + words[g]!) | 0
      const shift = SHIFTS[(i >> 4) * 4 + (i % 4)]!
      a = d
      d = c
      c = b
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0
    }
    a0 = (a0 + a) | 0
    b0 = (b0 + b) | 0
    c0 = (c0 + c) | 0
    d0 = (d0 + d) | 0
  }
  return [byteSwap(a0), byteSwap(b0)]
}
