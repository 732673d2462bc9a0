import { defineConfig, type Options } from 'tsup'

/**
 * Shared tsup settings: every package builds ESM + CJS + .d.ts from its own `src/`.
 * A package's tsup.config.ts calls `packageConfig({ entry })` so the settings live in one place.
 */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    treeshake: true,
    ...overrides,
  }
}

export default defineConfig(packageConfig())
