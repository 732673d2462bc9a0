import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { createClient } from '@supabase/supabase-js'

// Proves the compatibility run tests what it claims: Node 22 and the supabase-js of .compat/, not the workspace's.
const compat = createRequire(new URL('../../.compat/package.json', import.meta.url))
const workspace = createRequire(import.meta.url)

describe('compatibility run', () => {
  it('runs on the Node of .compat (22 by default) with the supabase-js installed in .compat/', () => {
    // Node 22 unless NODE_PKG chose another (compat.sh passes the major of the binary it installed).
    expect(process.versions.node.split('.')[0]).toBe(process.env.COMPAT_NODE_MAJOR ?? '22')
    expect(process.versions.node.split('.')[0]).not.toBe('20')
    const compatVersion = (compat('@supabase/supabase-js/package.json') as { version: string }).version
    const workspaceVersion = (workspace('@supabase/supabase-js/package.json') as { version: string }).version
    expect(compatVersion).not.toBe(workspaceVersion)
    // The module the suites import (through the alias) names its version in the X-Client-Info header it sends.
    const client = createClient('http://127.0.0.1:9', 'anon')
    const headers = (client as unknown as { headers: Record<string, string> }).headers
    expect(headers['X-Client-Info']).toEqual(expect.stringContaining(`/${compatVersion};`))
    console.log(`compat: Node ${process.versions.node}, @supabase/supabase-js ${compatVersion} (workspace: ${workspaceVersion})`)
  })
})
