/**
 * For `npm run dev -w @supasync-examples/construction-react` / `npm run build -w …`. `npm start` does not read this
 * file (examples/dev/startDemo.ts configures Vite inline, with the same aliases, and also injects the dev sign-in).
 */
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

export default defineConfig({
  plugins: [react()],
  resolve: {
    // The packages from their sources, like the launcher (no build step needed while editing them).
    alias: [
      { find: /^@supasync\/queue\/node$/, replacement: root('packages/queue/src/node.ts') },
      { find: /^@supasync\/([a-z-]+)$/, replacement: root('packages/$1/src/index.ts') },
    ],
  },
})
