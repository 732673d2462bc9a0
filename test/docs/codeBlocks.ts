import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

/** A fenced `ts` / `tsx` block of a Markdown file. */
export interface CodeBlock {
  /** Path relative to the repository root. */
  file: string
  /** 1-based line of the block's first code line in the Markdown file. */
  line: number
  lang: 'ts' | 'tsx'
  code: string
  /** The reason given by a first line `// doc-check: skip — <why>`, if the block opts out. */
  skip: string | undefined
}

const SKIP = /^\s*\/\/\s*doc-check:\s*skip\b\s*[—–:-]?\s*(.*)$/

/** The Markdown files whose blocks are checked: README.md, packages/{name}/README.md (and one level below, e.g. sql/), docs/*.md. */
export function markdownFiles(root: string): string[] {
  const files = ['README.md']
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', name)
    const candidates = ['README.md', ...readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !['node_modules', 'dist', 'src', 'test'].includes(entry.name)).map((entry) => join(entry.name, 'README.md')).sort()]
    for (const candidate of candidates) {
      try {
        readFileSync(join(dir, candidate))
        files.push(join('packages', name, candidate))
      } catch {}
    }
  }
  for (const name of readdirSync(join(root, 'docs')).sort()) if (name.endsWith('.md')) files.push(join('docs', name))
  return files
}

/** The `ts` / `tsx` fenced blocks of one Markdown text (other languages are left alone). */
export function extractBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, info] = open
    const end = lines.findIndex((text, j) => j > i && text.trimStart().startsWith(fence!) && text.trim() === fence!.padEnd(text.trim().length, fence![0]))
    const close = end === -1 ? lines.length : end
    const lang = info!.toLowerCase()
    if (lang === 'ts' || lang === 'tsx' || lang === 'typescript') {
      const body = lines.slice(i + 1, close).map((text) => (text.startsWith(indent!) ? text.slice(indent!.length) : text))
      const skip = SKIP.exec(body[0] ?? '')
      blocks.push({ file, line: i + 2, lang: lang === 'tsx' ? 'tsx' : 'ts', code: body.join('\n'), skip: skip ? skip[1]!.trim() : undefined })
    }
    i = close
  }
  return blocks
}

/** One diagnostic, placed in the Markdown file. */
export interface BlockError {
  file: string
  line: number
  message: string
}

/**
 * Type-checks every block that does not opt out, each as its own module, with the repository's compiler options
 * (strict) and `@supasync/*` mapped to the sources. The blocks are written to `dir` (inside the repository, so that
 * supabase-js and the other dependencies resolve), which is removed afterwards.
 */
export function checkBlocks(root: string, dir: string, blocks: readonly CodeBlock[]): BlockError[] {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  try {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    })
    if (!config) throw new Error('tsconfig.json could not be read')
    const sources = new Map<string, CodeBlock>()
    blocks.forEach((block, index) => {
      if (block.skip !== undefined) return
      const name = join(dir, `${block.file.replace(/[^\w]+/g, '_')}_L${block.line}_${index}.${block.lang}`)
      // `export {}` makes a block without imports a module too: blocks never share top-level names.
      writeFileSync(name, `${block.code}\nexport {}\n`)
      sources.set(name, block)
    })
    const options: ts.CompilerOptions = { ...config.options, noEmit: true, jsx: ts.JsxEmit.ReactJSX, noUnusedLocals: false, noUnusedParameters: false }
    const program = ts.createProgram([...sources.keys()], options)
    const errors: BlockError[] = []
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      const block = diagnostic.file && sources.get(diagnostic.file.fileName)
      if (!diagnostic.file || !block) {
        // An error outside the blocks (a library type the blocks pull in, or the options): name where it is.
        const where = diagnostic.file ? relative(root, diagnostic.file.fileName) : 'compiler options'
        errors.push({ file: where, line: diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1 : 0, message })
        continue
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      errors.push({ file: block.file, line: block.line + line, message: `TS${diagnostic.code}: ${message}` })
    }
    return errors
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
