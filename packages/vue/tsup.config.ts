import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

export default defineConfig(packageConfig({ external: ['@supabase/supabase-js', '@supasync/core', '@supasync/polling', '@supasync/presence', '@supasync/queue', 'vue'] }))
