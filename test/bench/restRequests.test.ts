import { describe, expect, it } from 'vitest'
import { fetchUrl, POLL_KINDS, RequestTally, restRequestKind, sumRequests } from './restRequests.js'

const base = 'http://127.0.0.1:54321/rest/v1'

describe('restRequestKind (what a live table REST request is for, by URL)', () => {
  it('tells the watermark, other RPCs, tombstones, key sweeps and row reads apart, as postgrest-js builds their URLs', () => {
    expect(restRequestKind(`${base}/rpc/supasync_watermark`)).toBe('watermark')
    expect(restRequestKind(`${base}/rpc/supasync_poll?x=1`)).toBe('rpc')
    expect(restRequestKind(`${base}/supasync_tombstones?select=row_key%2Cdeleted_at&table_schema=eq.public&limit=1000`)).toBe('tombstones')
    // A key sweep selects the primary key only; polls, catch-up reads and reads by key select every column.
    expect(restRequestKind(`${base}/components?select=id&or=%28and%28project_id.eq.1%29%29&order=id.asc&limit=1000`)).toBe('sweep')
    expect(restRequestKind(`${base}/components?select=project_id%2Cid&order=id.asc`)).toBe('sweep')
    expect(restRequestKind(`${base}/components?select=*&or=%28and%28updated_at.gte.x%29%29&order=id.asc&limit=1000`)).toBe('rows')
    expect(restRequestKind(new URL(`${base}/components?select=%2A&or=(id.in.(a,b))`))).toBe('rows')
  })

  it('anything else is other: no select, not PostgREST, not a URL', () => {
    expect(restRequestKind(`${base}/components?id=eq.1`)).toBe('other')
    expect(restRequestKind('http://127.0.0.1:54321/auth/v1/token')).toBe('other')
    expect(restRequestKind('not a url')).toBe('other')
  })

  it('reads the URL of a string, a URL or a Request', () => {
    expect(fetchUrl(`${base}/x`)).toBe(`${base}/x`)
    expect(fetchUrl(new URL(`${base}/x`))).toBe(`${base}/x`)
    expect(fetchUrl(new Request(`${base}/x`))).toBe(`${base}/x`)
  })
})

describe('RequestTally and sumRequests', () => {
  it('counts by phase, mode and kind, and sums any part of it', () => {
    const tally = new RequestTally()
    tally.add('setup', 'catching-up', 'rows')
    tally.add('healthy', 'realtime', 'watermark')
    tally.add('healthy', 'realtime', 'rows')
    tally.add('healthy', 'realtime', 'sweep')
    tally.add('healthy', 'realtime', 'sweep')
    tally.add('drops', 'polling', 'watermark')
    tally.add('drops', 'realtime', 'tombstones')
    expect(tally.counts['healthy|realtime|sweep']).toBe(2)
    expect(sumRequests(tally.counts, {})).toBe(7)
    expect(sumRequests(tally.counts, { phases: ['healthy', 'drops'], mode: 'realtime' })).toBe(5)
    expect(sumRequests(tally.counts, { phases: ['healthy', 'drops'], mode: 'realtime', kinds: POLL_KINDS })).toBe(3)
    expect(sumRequests(tally.counts, { mode: 'realtime', kinds: ['sweep'] })).toBe(2)
    expect(sumRequests(tally.counts, { phases: ['tail'] })).toBe(0)
  })
})
