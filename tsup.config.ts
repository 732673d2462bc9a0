import { defineConfig, type Options } from 'tsup'

/**
 * Shared tsup settings: every package builds ESM + CJS + .d.ts from its own `src/`.
 * A package's tsup.config.ts calls `packageConfig({ entry })` so the settings live in one place.
 *
 * No source maps: the output is readable, unminified ES2022, and maps would point at sources the tarballs do not ship.
 * Types of the other `@supasync/*` packages resolve from their sources (`paths` in each package's tsconfig.json), so
 * a package builds alone on a fresh clone; they stay external imports in the output (peer dependencies).
 */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    target: 'node20',
    treeshake: true,
    ...overrides,
  }
}

export default defineConfig(packageConfig())
