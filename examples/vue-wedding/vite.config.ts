/**
 * For `npm run dev -w @supasync-examples/vue-wedding` / `npm run bundle -w …`. `npm start` does not read this file
 * (examples/dev/startDemo.ts configures Vite inline, with the same aliases, and also injects the dev sign-in, without
 * which the app only says how to start it).
 */
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'
import { nodeEnvDefine, sourceAliases } from '../dev/sourceAliases.js'

export default defineConfig(({ mode }) => ({
  plugins: [vue()],
  // The packages from their sources, like the launcher (no build step needed while editing them).
  resolve: { alias: sourceAliases },
  define: nodeEnvDefine(mode === 'production' ? 'production' : 'development'),
}))
