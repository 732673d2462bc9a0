import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

export default defineConfig(packageConfig({ external: ['@supasync/core', '@opentelemetry/api'] }))
