/**
 * PollRpc without a server: the arguments a poll sends to public.supasync_poll() and what each kind of answer means
 * (the function serves the table, is missing, refuses the table, is someone else's, or reports a failure).
 */
import { describe, expect, it } from 'vitest'
import { PollingError } from '../src/errors.js'
import { PollRpc, rpcFilters } from '../src/PollRpc.js'
import type { PostgrestResult } from '../src/PostgrestHost.js'
import type { ReadTarget } from '../src/RestReader.js'
import { formatMicros } from '../src/versions.js'

const TARGET: ReadTarget = { schema: 'public', table: 'components', primaryKey: ['id'], cursor: 'updated_at', softDeleteColumn: undefined, pageSize: 2, requestTimeoutMs: 1000 }
const WINDOW = { watermark: '2026-01-01T00:00:00.000001+00:00', now: '2026-01-01T00:00:01+00:00', complete: true, access: { sub: 'anon', user: null, all: null, tracked: false } }
const ok = (data: unknown): PostgrestResult => ({ data, error: null, status: 200 })
const failed = (status: number, code: string, message = 'failed'): PostgrestResult => ({ data: null, error: { message, code }, status })

describe('rpcFilters', () => {
  it('sends the union as distinct objects of text values (what the eq clauses carry), keeping true, false and null', () => {
    expect(rpcFilters([{ project_id: 1 }, { project_id: 1 }, { tag: 'a,b"c', done: true, gone: null }, { ratio: 0.5 }])).toEqual([
      { project_id: '1' },
      { tag: 'a,b"c', done: true, gone: null },
      { ratio: '0.5' },
    ])
  })

  it('is null (every row) without filters or when one of them is empty, as unionClause reads every row then', () => {
    expect(rpcFilters(undefined)).toBeNull()
    expect(rpcFilters([])).toBeNull()
    expect(rpcFilters([{ project_id: 1 }, {}])).toBeNull()
  })
})

describe('PollRpc', () => {
  it('names the table, cursor, key, cursor literal and page size as the three requests would use them', () => {
    expect(new PollRpc(TARGET).arguments(1_767_225_600_000_000, [{ project_id: 2 }])).toEqual({
      target_schema: 'public',
      target_table: 'components',
      cursor_column: 'updated_at',
      key_columns: ['id'],
      since: formatMicros(1_767_225_600_000_000),
      filters: [{ project_id: '2' }],
      page_size: 2,
    })
    expect(new PollRpc(TARGET).arguments(undefined, undefined)).toMatchObject({ since: null, filters: null })
  })

  it('reads an answer: the window as the watermark function gives it, the rows and the tombstones as they came', () => {
    const rpc = new PollRpc(TARGET)
    const answer = rpc.answer('poll', ok({ window: WINDOW, rows: [{ id: 1 }], tombstones: [{ row_key: { id: 2 }, deleted_at: WINDOW.now }] }))
    expect(answer).toEqual({
      complete: true,
      window: { watermark: 1_767_225_600_000_001, access: { sub: 'anon', user: undefined, all: undefined, tracked: false } },
      rows: [{ id: 1 }],
      tombstones: [{ row_key: { id: 2 }, deleted_at: WINDOW.now }],
    })
    expect(rpc.unusable).toBeUndefined()
  })

  it('falls back (undefined, and says why) when the function is missing, refuses the table, or is not supasync\'s', () => {
    const cases: [PostgrestResult, string][] = [
      [failed(404, 'PGRST202', 'Could not find the function public.supasync_poll'), 'missing'],
      [failed(404, '42883', 'function public.supasync_poll does not exist'), 'missing'],
      [failed(400, 'SSP01', 'supasync_poll() reads only tables set up for supasync polling'), 'refused'],
      [failed(300, 'PGRST203', 'Could not choose the best candidate function'), 'unexpected'],
      [ok([{ id: 1 }]), 'unexpected'],
      [ok({ window: 'soon', rows: [], tombstones: [] }), 'unexpected'],
    ]
    for (const [result, reason] of cases) {
      const rpc = new PollRpc(TARGET)
      expect(rpc.answer('poll', result), JSON.stringify(result)).toBeUndefined()
      expect(rpc.unusable?.reason).toBe(reason)
    }
  })

  it('throws what the three requests would for the same cause: a missing table, a bad column, a refused token, an outage', () => {
    const cases: [PostgrestResult, string, RegExp][] = [
      [failed(404, '42P01', 'relation "public.nope" does not exist'), 'REJECTED', /check the table and schema options/],
      [failed(400, '42703', 'column public.components.nope does not exist'), 'REJECTED', /check the filter, primaryKey, cursor/],
      [failed(401, 'PGRST301', 'JWT expired'), 'UNAUTHORIZED', /refused the token/],
      [failed(503, 'PGRST000', 'Service Unavailable'), 'UNREACHABLE', /retries by itself/],
    ]
    for (const [result, code, message] of cases) {
      const rpc = new PollRpc(TARGET)
      expect(() => rpc.answer('Polling public.components', result)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }))
      expect(rpc.unusable).toBeUndefined()
    }
    const overfull = () => new PollRpc(TARGET).answer('poll', ok({ window: WINDOW, rows: [{ id: 1 }, { id: 2 }, { id: 3 }], tombstones: [] }))
    expect(overfull).toThrow(PollingError)
    expect(overfull).toThrow(/more than page_size \(2\) rows/)
  })
})
