// What the REST requests of a live table's client are for, told apart by URL, and how many of each a client starts
// in each fault phase and freshness mode. The polling suite reports "REST requests per client per minute in
// realtime mode" from it (issue #16: the steady cost of the guarantee), with the key sweeps apart from the polls:
// a sweep reads only the key columns of the whole filter (hundreds of requests at 100k rows, every few minutes),
// a poll reads the watermark, the changed rows and the tombstones (a few requests every verifyIntervalMs).

/** What a REST request of a live table is for. */
export type RequestKind = 'watermark' | 'rows' | 'tombstones' | 'sweep' | 'rpc' | 'other'

/** Kinds that make up a poll (verification poll, catch-up read, polling-mode read): everything but key sweeps. */
export const POLL_KINDS: readonly RequestKind[] = ['watermark', 'rows', 'tombstones', 'rpc']

/**
 * The kind of a PostgREST request from its URL, as @supasync/polling builds them (packages/polling/src/RestReader.ts):
 * - `watermark`: `POST /rest/v1/rpc/supasync_watermark`;
 * - `rpc`: any other `/rest/v1/rpc/…` (e.g. a later one-request poll function);
 * - `tombstones`: `GET /rest/v1/supasync_tombstones?…`;
 * - `sweep`: `GET /rest/v1/<table>?select=<key columns>…` (a key sweep reads the primary key only);
 * - `rows`: `GET /rest/v1/<table>?select=*…` (the load, polls, catch-up reads, reads by key);
 * - `other`: anything else (not PostgREST, or no select).
 */
export function restRequestKind(url: string | URL): RequestKind {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch {
    return 'other'
  }
  const path = parsed.pathname
  const rest = path.indexOf('/rest/v1/')
  if (rest === -1) return 'other'
  const resource = path.slice(rest + '/rest/v1/'.length)
  if (resource.startsWith('rpc/')) return resource === 'rpc/supasync_watermark' ? 'watermark' : 'rpc'
  if (resource === 'supasync_tombstones') return 'tombstones'
  const select = parsed.searchParams.get('select')
  if (select === null) return 'other'
  return select.split(',').some((column) => column.trim() === '*') ? 'rows' : 'sweep'
}

/** The URL a fetch was called with (a string, a URL or a Request). */
export function fetchUrl(input: unknown): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  if (typeof input === 'object' && input !== null && typeof (input as { url?: unknown }).url === 'string') return (input as { url: string }).url
  return String(input)
}

/**
 * Counts requests by phase, mode and kind. Keys are `phase|mode|kind`, e.g. `healthy|realtime|watermark`: flat, so a
 * client's tally is a small JSON object in the report.
 */
export class RequestTally {
  readonly counts: Record<string, number> = {}

  add(phase: string, mode: string, kind: RequestKind): void {
    const key = `${phase}|${mode}|${kind}`
    this.counts[key] = (this.counts[key] ?? 0) + 1
  }
}

/** The requests of `counts` (a {@link RequestTally}'s) that match, summed; an omitted part matches everything. */
export function sumRequests(counts: Readonly<Record<string, number>>, match: { phases?: readonly string[]; mode?: string; kinds?: readonly RequestKind[] }): number {
  let total = 0
  for (const [key, count] of Object.entries(counts)) {
    const [phase, mode, kind] = key.split('|') as [string, string, RequestKind]
    if (match.phases && !match.phases.includes(phase)) continue
    if (match.mode !== undefined && mode !== match.mode) continue
    if (match.kinds && !match.kinds.includes(kind)) continue
    total += count
  }
  return total
}
