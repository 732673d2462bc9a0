// @vitest-environment happy-dom
/**
 * The panel drawn from handcrafted snapshots: what each tab shows, the staleness warnings, the empty states, and
 * what it never shows (tokens, row contents, presence states), through the pure renderPanel and through a mount.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { InspectSnapshot } from '@supasync/core'
import { mountDevtools } from '../src/mountDevtools.js'
import { renderPanel } from '../src/renderPanel.js'
import { initialPanelState } from '../src/PanelState.js'
import { formatDuration, redact, stalenessLevel } from '../src/format.js'
import type { DevtoolsTab } from '../src/options.js'
import { channel, connection, deadLetter, emptySnapshot, fakePorts, fakeSource, liveTable, presenceRoom, queue, shadowOf, snapshot, T0, text } from './fakes.js'

const unmounts: (() => void)[] = []
afterEach(() => {
  for (const unmount of unmounts.splice(0)) unmount()
  document.body.replaceChildren()
})

/** Mounts the panel open on `tab` over `value` with fake ports at `now`; returns the host. */
function show(value: InspectSnapshot, tab: DevtoolsTab, now = T0, options: { actions?: boolean } = {}): HTMLElement {
  const host = document.createElement('div')
  document.body.append(host)
  const ports = fakePorts(now)
  unmounts.push(mountDevtools(host, fakeSource(value, options), { initialIsOpen: true, initialTab: tab, ports }))
  return host
}

/** The pure renderer: snapshot + state → element, no mount. */
function draw(value: InspectSnapshot, tab: DevtoolsTab, now = T0): HTMLElement {
  return renderPanel(value, { doc: document, now, state: initialPanelState(true, tab, 'inline'), canAct: true })
}

describe('renderPanel is a pure function of the snapshot and the state', () => {
  it('the same inputs give the same markup; closed it is only the toggle button', () => {
    const value = snapshot()
    expect(draw(value, 'queue').outerHTML).toBe(draw(value, 'queue').outerHTML)
    const closed = renderPanel(value, { doc: document, now: T0, state: initialPanelState(false, 'queue', 'bottom-right'), canAct: true })
    expect(closed.querySelectorAll('button')).toHaveLength(1)
    expect(closed.querySelector('[data-action="open"]')?.textContent).toContain('supasync')
    expect(closed.classList.contains('pos-bottom-right')).toBe(true)
  })

  it('a snapshot in a format this panel does not know is drawn with a notice saying which package to update', () => {
    expect(draw(snapshot(), 'connection').querySelector('[role="status"]')).toBeNull()
    const newer = draw({ ...snapshot(), version: 2 as never }, 'connection')
    expect(newer.querySelector('[role="status"]')?.textContent).toBe('This panel reads snapshot format 1; the source sent format 2. Update @supasync/devtools to match @supasync/core.')
    expect(newer.querySelector('.tab-connection')).not.toBeNull()
  })

  it('five tabs in order; the selected one is marked, its content shown, and the counts flag what needs a look', () => {
    const element = draw(snapshot(), 'channels')
    const tabs = Array.from(element.querySelectorAll('[role="tab"]'))
    expect(tabs.map((tab) => tab.getAttribute('data-tab'))).toEqual(['connection', 'channels', 'liveTables', 'queue', 'presence'])
    expect(tabs.map((tab) => tab.getAttribute('aria-selected'))).toEqual(['false', 'true', 'false', 'false', 'false'])
    expect(element.querySelector('.tab-channels')).not.toBeNull()
    expect(element.querySelector('.tab-queue')).toBeNull()
    expect(tabs[3]!.textContent).toBe('Queue1 failed')
    expect(tabs[3]!.querySelector('.count-bad')).not.toBeNull()
  })
})

describe('each tab, drawn from a snapshot', () => {
  it('Connection: state with its duration, RTT, heartbeats, reconnects, channels against the limit', () => {
    const host = show(snapshot({ connection: connection({ state: 'degraded', channels: 85 }) }), 'connection')
    const shown = text(host)
    expect(shown).toContain('Statedegraded for 1 min 5 s')
    expect(shown).toContain('Round trip42 ms')
    expect(shown).toContain('Last heartbeat reply3.0 s ago')
    expect(shown).toContain('Heartbeat interval15.0 s')
    expect(shown).toContain('Heartbeat timeouts1')
    expect(shown).toContain('Reconnects2')
    expect(shown).toContain('Channels85 of 100')
    expect(shown).toContain('Leases5')
    expect(shadowOf(host).querySelector('.tab-connection .pill-warn')?.textContent).toBe('degraded')
    // 85 of 100 is past 80 %: the server refuses joins at the limit.
    expect(Array.from(shadowOf(host).querySelectorAll('.tab-connection .text-warn')).map((node) => node.textContent)).toEqual(['1', '85 of 100'])
  })

  it('Channels: topic, kind, status, holders, each binding, joins and the last event without its payload', () => {
    const changes = channel({
      topic: 'supasync:changes:1',
      kind: 'changes',
      private: true,
      status: 'errored',
      holders: 3,
      bindings: [{ type: 'postgres_changes', schema: 'public', table: 'components', event: '*', filter: 'project_id=eq.1', leases: 3 }],
      joins: 4,
      lastEvent: { type: 'postgres_changes', name: 'UPDATE public.components', at: T0 - 1_500 },
      error: { code: 'JOIN_REFUSED', message: 'Unauthorized: You do not have permissions to read from this Channel topic' },
    })
    const host = show(snapshot({ channels: [channel(), changes] }), 'channels')
    const rows = shadowOf(host).querySelectorAll('tbody tr')
    expect(rows).toHaveLength(2)
    const room = rows[0]!.textContent!.replace(/\s+/g, ' ')
    expect(room).toContain('wedding:42')
    expect(room).toContain("broadcast 'running-late' · 2 listeners")
    expect(room).toContain('presence · 1 listener')
    expect(room).toContain('broadcast running-late4.0 s ago')
    const pool = rows[1]!.textContent!.replace(/\s+/g, ' ')
    expect(pool).toContain('changes pool · private')
    expect(pool).toContain('* public.components where project_id=eq.1 · 3 leases')
    expect(pool).toContain('JOIN_REFUSED: Unauthorized')
    expect(pool).toContain('UPDATE public.components1.5 s ago')
    expect(rows[1]!.querySelector('.pill-bad')?.textContent).toBe('errored')
  })

  it('Live tables: table, filter values, source, mode, rows as a count, polls, misses', () => {
    const host = show(snapshot({ liveTables: [liveTable({ source: 'broadcast', mode: 'polling', failedPolls: 2, missedByRealtime: 4, filter: { project_id: 1, status: 'open', archived_at: null } })] }), 'liveTables')
    const shown = text(host)
    expect(shown).toContain('public.components')
    expect(shown).toContain("project_id = 1, status = 'open', archived_at is null")
    expect(shown).toContain('broadcast changes · 2 holders')
    expect(shown).toContain('polling')
    expect(shown).toContain('2 failed')
    expect(shadowOf(host).querySelector('tbody tr')!.children[4]!.textContent).toBe('300')
    expect(shadowOf(host).querySelector('tbody tr')!.children[6]!.querySelector('.text-warn')?.textContent).toBe('4')
  })

  it('Live tables: staleness against the budget turns amber from 75 % and red at the budget, and keeps counting after takenAt', () => {
    const tables = [
      liveTable({ id: 'fresh', table: 'fresh', stalenessMs: 3_000 }),
      liveTable({ id: 'near', table: 'near', stalenessMs: 23_000, mode: 'polling' }),
      liveTable({ id: 'over', table: 'over', stalenessMs: 31_000, mode: 'offline' }),
    ]
    const host = show(snapshot({ liveTables: tables }), 'liveTables')
    const levels = Array.from(shadowOf(host).querySelectorAll('[data-staleness]')).map((cell) => cell.getAttribute('data-staleness'))
    expect(levels).toEqual(['ok', 'warn', 'over'])
    const over = shadowOf(host).querySelector('.staleness-over')!
    expect(over.textContent).toBe('31.0 s of 30.0 s · over budget')
    expect((over.querySelector('.meter-bar') as HTMLElement).style.width).toBe('100%')
    expect(shadowOf(host).querySelector('.staleness-warn')!.textContent).toContain('near budget')
    expect((shadowOf(host).querySelector('.staleness-ok .meter-bar') as HTMLElement).style.width).toBe('10%')
    // The tab's count is red while any table is over its budget.
    expect(shadowOf(host).querySelector('[data-tab="liveTables"] .count-over')).not.toBeNull()

    // 20 s after the snapshot was taken, with nothing new from the source, the fresh table is 23 s behind: warn.
    const later = show(snapshot({ liveTables: [tables[0]!] }), 'liveTables', T0 + 20_000)
    expect(shadowOf(later).querySelector('[data-staleness]')!.getAttribute('data-staleness')).toBe('warn')
    expect(text(later)).toContain('23.0 s of 30.0 s')
  })

  it('Queue: pending writes with state, attempts and age; dead letters with the reason, ids and Retry / Discard', () => {
    const value = snapshot({
      queues: [queue({ flushing: true, lastError: { code: 'UNREACHABLE', message: 'fetch failed', status: 0, pgCode: undefined, at: T0 - 1_000 } })],
    })
    const host = show(value, 'queue')
    const shown = text(host)
    expect(shown).toContain('supasync 1 pending 1 failed flushing')
    expect(shown).toContain('StorageIndexedDB supasync-queue')
    expect(shown).toContain('Oldest pending1 min 30 s ago')
    expect(shown).toContain('Last errorUNREACHABLE (0): fetch failed')
    const pending = shadowOf(host).querySelector('table[aria-label="Pending writes"] tbody tr')!
    expect(Array.from(pending.children).map((cell) => cell.textContent)).toEqual(['update components where {"id":"c-7"}', 'waiting', '1', '1 min 30 s ago'])
    const letter = shadowOf(host).querySelector('.dead-letter')!
    expect(letter.getAttribute('data-entry')).toBe('d-1')
    expect(letter.textContent).toContain('insert components (3 rows)')
    expect(letter.textContent).toContain('REJECTED (409, 23505): duplicate key value violates unique constraint "components_tag_key"')
    expect(letter.textContent).toContain('entry d-1 · 1 attempt · enqueued 2 min 0 s ago · failed 1 min 40 s ago')
    const buttons = Array.from(letter.querySelectorAll('button'))
    expect(buttons.map((button) => [button.textContent, button.getAttribute('data-queue'), button.getAttribute('data-entry')])).toEqual([
      ['Retry', 'q-main', 'd-1'],
      ['Discard', 'q-main', 'd-1'],
    ])
  })

  it('Queue: without inspectActions the dead letters are listed without buttons, saying why; a corrupt entry offers Discard only', () => {
    const host = show(snapshot(), 'queue', T0, { actions: false })
    expect(shadowOf(host).querySelectorAll('.dead-letter button')).toHaveLength(0)
    expect(text(host)).toContain('Retry and Discard need a source with inspectActions.')
    const corrupt = deadLetter({ id: 'bad', kind: 'corrupt', description: 'corrupt entry', target: undefined, enqueuedAt: undefined, reason: { code: 'CORRUPT_ENTRY', message: 'checksum mismatch', status: undefined, pgCode: undefined, at: T0 } })
    const withCorrupt = show(snapshot({ queues: [queue({ deadLetters: [corrupt] })] }), 'queue')
    expect(Array.from(shadowOf(withCorrupt).querySelectorAll('.dead-letter button')).map((button) => button.textContent)).toEqual(['Discard'])
    expect(text(withCorrupt)).toContain('CORRUPT_ENTRY: checksum mismatch')
    expect(text(withCorrupt)).toContain('enqueued never')
  })

  it('Presence: each room with its members by key, status, connections, typing and last seen', () => {
    const host = show(snapshot(), 'presence')
    const shown = text(host)
    expect(shown).toContain('wedding:42 2 of 2 members present · you are photographer')
    const rows = Array.from(shadowOf(host).querySelectorAll('.room tbody tr')).map((row) => Array.from(row.children).map((cell) => cell.textContent))
    expect(rows).toEqual([
      ['photographer (you)', 'online', '2', '', '30.0 s ago'],
      ['caterer', 'away', '1', 'typing', '5.0 s ago'],
    ])
  })

  it('every tab has an empty state that says what would fill it', () => {
    const empties: Record<Exclude<DevtoolsTab, 'connection'>, string> = {
      channels: 'No channels',
      liveTables: 'No live tables',
      queue: 'No queues',
      presence: 'No presence rooms',
    }
    for (const [tab, expected] of Object.entries(empties)) {
      const element = draw(emptySnapshot(), tab as DevtoolsTab)
      expect(element.querySelector('.empty')?.textContent, tab).toContain(expected)
    }
    const quiet = draw(snapshot({ queues: [queue({ pending: 0, failed: 0, pendingWrites: [], deadLetters: [], oldestPendingAt: undefined })] }), 'queue')
    expect(Array.from(quiet.querySelectorAll('.empty')).map((node) => node.textContent)).toEqual(['No pending writes: everything is saved.', 'No dead letters.'])
    expect(quiet.textContent).toContain('nothing pending')
    const alone = draw(snapshot({ presence: [presenceRoom({ members: [], selfKey: undefined })] }), 'presence')
    expect(alone.textContent).toContain('you are not tracking')
    expect(alone.querySelector('.empty')?.textContent).toBe('No members yet.')
  })
})

describe('what the panel never shows', () => {
  const TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhMTFjZTAwMCIsInJvbGUiOiJhdXRoZW50aWNhdGVkIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ'
  const ROW_SECRET = 'ROW-CONTENT-7f3a'

  /** A snapshot where other code put what it should not have: extra fields with rows, states and tokens. */
  function leaky(): InspectSnapshot {
    const live = { ...liveTable(), sampleRows: [{ id: 1, name: ROW_SECRET }], token: TOKEN, error: { code: 'FETCH_FAILED', message: `request with apikey=${TOKEN} failed` } }
    const letter = {
      ...deadLetter(),
      operation: { table: 'components', type: 'insert', rows: [{ id: 'c-1', tag: ROW_SECRET }] },
      raw: `{"tag":"${ROW_SECRET}"}`,
      reason: { ...deadLetter().reason, message: `JWT ${TOKEN} expired`, details: `Failing row contains (c-1, ${ROW_SECRET})`, hint: ROW_SECRET },
    }
    const members = presenceRoom().members.map((member) => ({ ...member, state: { name: ROW_SECRET, token: TOKEN } }))
    const room = { ...channel(), lastEvent: { type: 'broadcast' as const, name: 'running-late', at: T0, payload: { note: ROW_SECRET } }, accessToken: TOKEN }
    return snapshot({
      connection: { ...connection(), accessToken: TOKEN } as never,
      channels: [room],
      liveTables: [live],
      queues: [queue({ deadLetters: [letter], lastError: { code: 'UNAUTHORIZED', message: `Authorization: Bearer ${TOKEN}`, status: 401, pgCode: 'PGRST301', at: T0 } })],
      presence: [presenceRoom({ members })],
    })
  }

  it('no row content, payload, presence state or token on any tab, open or closed, in text or attributes', () => {
    for (const tab of ['connection', 'channels', 'liveTables', 'queue', 'presence'] as const) {
      const host = show(leaky(), tab)
      const markup = shadowOf(host).innerHTML
      expect(markup, tab).not.toContain(ROW_SECRET)
      expect(markup, tab).not.toContain(TOKEN)
      expect(markup, tab).not.toContain('eyJ')
    }
    const closed = renderPanel(leaky(), { doc: document, now: T0, state: initialPanelState(false, 'queue', 'bottom-right'), canAct: true })
    expect(closed.outerHTML).not.toContain(TOKEN)
  })

  it('what is allowed still shows: filter values, keys and ids, and error messages with the token cut out', () => {
    const queueTab = text(show(leaky(), 'queue'))
    expect(queueTab).toContain('JWT [token hidden] expired')
    expect(queueTab).toContain('UNAUTHORIZED (401, PGRST301): Authorization: Bearer [token hidden]')
    expect(queueTab).toContain('entry d-1')
    const tables = text(show(leaky(), 'liveTables'))
    expect(tables).toContain('project_id = 1')
    expect(tables).toContain('FETCH_FAILED: request with apikey=[token hidden] failed')
    expect(text(show(leaky(), 'presence'))).toContain('caterer')
  })

  it('redact() hides JWTs, Supabase keys, bearer tokens and credential parameters, and cuts long text', () => {
    expect(redact('key eyJabcdef.eyJghijkl.sig-_1 end')).toBe('key [token hidden] end')
    expect(redact('sb_secret_abc123XYZ and sb_publishable_Q1')).toBe('[key hidden] and [key hidden]')
    expect(redact('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [hidden]')
    expect(redact('url?access_token=abc&x=1, password: "p4ss"')).toBe('url?access_token=[hidden]&x=1, password: "[hidden]"')
    expect(redact('project_id=eq.42')).toBe('project_id=eq.42')
    expect(redact('x'.repeat(500))).toHaveLength(300)
    expect(redact('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>')
  })

  it('markup in a snapshot string is shown as text, never parsed', () => {
    const host = show(snapshot({ channels: [channel({ topic: '<img src=x onerror="globalThis.pwned=1">' })] }), 'channels')
    expect(shadowOf(host).querySelector('img')).toBeNull()
    expect(text(host)).toContain('<img src=x')
  })
})

describe('formatting', () => {
  it('durations and levels', () => {
    expect([0, 999, 1_000, 12_345, 65_000, 3_600_000 + 120_000, undefined, Number.NaN, -5].map(formatDuration)).toEqual(['0 ms', '999 ms', '1.0 s', '12.3 s', '1 min 5 s', '1 h 2 min', '—', '—', '0 ms'])
    expect([0, 22_499, 22_500, 29_999, 30_000].map((ms) => stalenessLevel(ms, 30_000))).toEqual(['ok', 'ok', 'warn', 'warn', 'over'])
    expect(stalenessLevel(10, 0)).toBe('ok')
  })
})
