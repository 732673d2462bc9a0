import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@supasync\/queue\/node$/, replacement: fileURLToPath(new URL('./packages/queue/src/node.ts', import.meta.url)) },
      { find: /^@supasync\/([a-z-]+)$/, replacement: pkg('$1') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx', 'test/**/*.test.ts'],
    // Integration suites start real Postgres + PostgREST processes: give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // Chromium for the end-to-end tests, decompressed once before the workers start.
    globalSetup: ['test/e2e/globalSetup.ts'],
    maxWorkers: 2,
    reporters: ['default'],
  },
})
