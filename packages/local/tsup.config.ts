import { rmSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

// Two builds share dist/, and tsup runs them in parallel: clean once, here, before either starts.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true })

export default defineConfig([
  // The library: ESM + CJS + types.
  packageConfig({ entry: ['src/index.ts'], shims: true, clean: false }),
  // The `supasync-local` command: ESM only, no types (nothing imports it).
  packageConfig({ entry: ['src/cli.ts'], format: ['esm'], dts: false, shims: true, clean: false }),
])
