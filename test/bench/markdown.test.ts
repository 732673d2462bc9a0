import { describe, expect, it } from 'vitest'
import type { Chart } from './charts.js'
import { benchmarksMarkdown, POLLING_SECTION_END, POLLING_SECTION_START, pollingSection, replacePollingSection, type ReportHeader } from './markdown.js'

const report: ReportHeader = {
  date: '2026-12-05T10:00:00.000Z',
  node: 'v20.20.2',
  cpus: 2,
  memoryGiB: 24,
  suites: ['polling'],
  figures: [
    { suite: 'polling', name: 'supasync live table: share of writes visible within 30 s, all phases', value: 100, unit: '%', target: '100', ok: true },
    { suite: 'core', name: 'delivery p50', value: 5, unit: 'ms' },
  ],
}
const charts: Chart[] = [
  { suite: 'polling', file: 'polling-modes.svg', title: 'Modes', svg: '<svg/>', caption: 'Each row is one live table.' },
  { suite: 'bindings', file: 'react-visible-share.svg', title: 'React share', svg: '<svg/>' },
]

describe('the polling charts section of docs/benchmarks.md', () => {
  it('shows each polling chart with how to read it, the run it comes from, and its figures when asked', () => {
    const section = pollingSection(report, charts, { table: true })
    expect(section.startsWith(POLLING_SECTION_START)).toBe(true)
    expect(section.endsWith(POLLING_SECTION_END)).toBe(true)
    expect(section).toContain('![Modes](charts/polling-modes.svg)\n\nEach row is one live table.')
    expect(section).toContain('run of 2026-12-05, `BENCH_ONLY=polling npm run bench`')
    expect(section).toContain('| supasync live table: share of writes visible within 30 s, all phases | 100 % | 100 | yes |')
    expect(section).not.toContain('react-visible-share')
    expect(section).not.toContain('delivery p50')
    expect(pollingSection(report, charts, { table: false })).not.toContain('| figure |')
    expect(pollingSection(report, [charts[1]!], { table: true })).toBe('')
  })

  it('is replaced in place, leaving the rest of the page as it was', () => {
    const page = `# Benchmarks\n\nintro\n\n${pollingSection({ ...report, date: '2026-01-01T00:00:00.000Z' }, charts, { table: true })}\n\n## Bindings\n\nhand-written\n`
    const next = replacePollingSection(page, pollingSection(report, charts, { table: true }))
    expect(next).toContain('run of 2026-12-05')
    expect(next).not.toContain('run of 2026-01-01')
    expect(next.startsWith('# Benchmarks\n\nintro\n\n')).toBe(true)
    expect(next.endsWith('\n\n## Bindings\n\nhand-written\n')).toBe(true)
    expect(next.split(POLLING_SECTION_START)).toHaveLength(2)
    expect(next.split(POLLING_SECTION_END)).toHaveLength(2)
  })

  it('is appended to a page without one', () => {
    const next = replacePollingSection('# Benchmarks\n\nold page\n', pollingSection(report, charts, { table: true }))
    expect(next.startsWith('# Benchmarks\n\nold page\n\n')).toBe(true)
    expect(next).toContain(POLLING_SECTION_START)
    expect(replacePollingSection('# Benchmarks\n', '')).toBe('# Benchmarks\n')
  })

  it('is part of a full run page, after the table that already lists the figures', () => {
    const page = benchmarksMarkdown({ ...report, suites: ['core', 'polling'] }, charts)
    expect(page).toContain('![React share](charts/react-visible-share.svg)')
    expect(page).toContain('run of 2026-12-05, `npm run bench`')
    expect(page.indexOf('| core | delivery p50 | 5 ms |  |  |')).toBeLessThan(page.indexOf(POLLING_SECTION_START))
    expect(page.match(/share of writes visible within 30 s, all phases/g)).toHaveLength(1)
  })
})
