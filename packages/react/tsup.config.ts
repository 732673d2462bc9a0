import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

export default defineConfig(packageConfig({ external: ['@supabase/supabase-js', '@supasync/core', '@supasync/polling', '@supasync/presence', '@supasync/queue', 'react', 'use-sync-external-store'], banner: { js: "'use client'" }, treeshake: false }))
