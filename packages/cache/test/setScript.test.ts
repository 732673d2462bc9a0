import { createHash } from 'node:crypto'
import { expect, it } from 'vitest'
import { SET_SCRIPT, SET_SCRIPT_SHA1 } from '../src/setScript'

it('SET_SCRIPT_SHA1 is the SHA-1 of SET_SCRIPT (update it when the script changes)', () => {
  expect(createHash('sha1').update(SET_SCRIPT).digest('hex')).toBe(SET_SCRIPT_SHA1)
})
