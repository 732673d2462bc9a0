import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/cli.ts'], shims: true }))
