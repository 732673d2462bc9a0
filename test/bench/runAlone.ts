import type { Figure } from './stats.js'

/**
 * `npx tsx test/bench/<suite>.bench.ts` runs one suite alone: call this at the end of the suite's file with its
 * `import.meta.url`; it does nothing when the file is imported by run.ts (or is a forked child, `skipFlag`).
 */
export function runAlone(moduleUrl: string, suite: () => Promise<Figure[]>, skipFlag?: string): void {
  const entry = process.argv[1]
  if (!entry || (skipFlag !== undefined && process.argv[2] === skipFlag) || !moduleUrl.endsWith(entry.replace(/\\/g, '/'))) return
  suite().then(
    (figures) => {
      console.table(figures.map(({ name, value, unit, target, ok }) => ({ name, value: `${value} ${unit}`, target: target ?? '', ok: ok ?? '' })))
      process.exit(0)
    },
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
