/**
 * The API reference (`npm run docs`) builds without a warning (typedoc.json: treatWarningsAsErrors), names each
 * module by its package and shows each package's README. Run here through typedoc's API, into a temp directory;
 * not part of `npm test`'s command line because typedoc takes 20–60 s on two busy cores.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Application, LogLevel, TSConfigReader, TypeDocReader } from 'typedoc'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGES = ['cache', 'core', 'devtools', 'local', 'otel', 'polling', 'presence', 'queue', 'react', 'vue']
/** Entry points beside the packages' main ones, each a module of its own. */
const SUBPATHS = ['@supasync/queue/node', '@supasync/devtools/react', '@supasync/devtools/react/production', '@supasync/devtools/vue', '@supasync/devtools/vue/production']

describe('typedoc', () => {
  it('builds with no warning, one module per package named @supasync/<name>, each with its README', async () => {
    const out = join(root, '.tmp', `typedoc-${process.pid}`)
    try {
      const app = await Application.bootstrapWithPlugins({ options: join(root, 'typedoc.json'), out, logLevel: 'Warn' }, [new TypeDocReader(), new TSConfigReader()])
      const messages: string[] = []
      const log = app.logger.log.bind(app.logger)
      app.logger.log = (message, level) => {
        if (level >= LogLevel.Warn) messages.push(message)
        log(message, level)
      }
      const project = await app.convert()
      expect(project).toBeDefined()
      await app.generateDocs(project!, out)
      expect(messages).toEqual([])
      expect(app.logger.hasWarnings() || app.logger.hasErrors()).toBe(false)
      // Packages, and the other entry points beside their main ones (the queue's Node-only one, devtools' wrappers).
      expect(project!.children?.map((child) => child.name).sort()).toEqual([...PACKAGES.map((name) => `@supasync/${name}`), ...SUBPATHS].sort())
      for (const name of PACKAGES) {
        // The README's first paragraph appears on the module's page.
        const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8')
        const firstLine = readme.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'))!.trim().split(/[`*[]/)[0]!.slice(0, 40)
        const page = readFileSync(join(out, 'modules', `_supasync_${name}.html`), 'utf8')
        expect(page, `${name}: README missing from its module page`).toContain(firstLine)
      }
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 180_000)
})
