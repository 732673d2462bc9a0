import type { TopLevelSpec } from 'vega-lite'

/**
 * Renders a Vega-Lite spec to SVG in Node (no canvas: text widths are estimated, which is fine for docs). Vega-Lite
 * warnings (e.g. an encoding it dropped) are thrown: a chart that silently lost a layer would mislead the docs.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await import('vega')
  const { compile } = await import('vega-lite')
  const warnings: string[] = []
  const logger = {
    level: () => logger,
    error: (...args: readonly unknown[]) => void warnings.push(args.join(' ')),
    warn: (...args: readonly unknown[]) => void warnings.push(args.join(' ')),
    info: () => logger,
    debug: () => logger,
  }
  const compiled = compile(spec, { logger: logger as never }).spec
  if (warnings.length > 0) throw new Error(`Vega-Lite rejected parts of the chart "${describe(spec)}": ${warnings.join('; ')} (fix the spec in test/bench/charts.ts or timelineCharts.ts)`)
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  try {
    return compact(await view.toSVG())
  } finally {
    view.finalize()
  }
}

/**
 * Positions and shapes to 0.1 px: Vega writes full doubles, and a chart with one dot per write (thousands) would be
 * several MB in the docs; a tenth of a pixel changes nothing visible.
 */
function compact(svg: string): string {
  return svg.replace(/ (transform|d)="([^"]*)"/g, (_, name: string, value: string) => ` ${name}="${value.replace(/-?\d+\.\d+/g, (number) => String(Math.round(Number(number) * 10) / 10))}"`)
}

function describe(spec: TopLevelSpec): string {
  const title = (spec as { title?: string | { text?: string | string[] } }).title
  if (typeof title === 'string') return title
  const text = title?.text
  return Array.isArray(text) ? text.join(' ') : (text ?? 'untitled')
}
