/** The `boolean` type. */

import { cTrim } from './cText.js'
import { invalidSyntax } from './errors.js'
import { jsonbText, type TypeDef } from './TypeDef.js'

function parseBool(text: string): boolean {
  const value = cTrim(text).toLowerCase()
  const prefixOf = (word: string, minimum = 1): boolean => value.length >= minimum && word.startsWith(value)
  switch (value.charAt(0)) {
    case 't':
      if (prefixOf('true')) return true
      break
    case 'f':
      if (prefixOf('false')) return false
      break
    case 'y':
      if (prefixOf('yes')) return true
      break
    case 'n':
      if (prefixOf('no')) return false
      break
    case 'o':
      if (prefixOf('on', 2)) return true
      if (prefixOf('off', 2)) return false
      break
    case '1':
      if (value.length === 1) return true
      break
    case '0':
      if (value.length === 1) return false
      break
  }
  throw invalidSyntax('boolean', text)
}

export const boolType: TypeDef = {
  regtype: 'boolean',
  kind: 'bool',
  input: parseBool,
  fromJson: (value) => (typeof value === 'boolean' ? value : parseBool(jsonbText(value))),
  compare: (a, b) => Number(a) - Number(b),
  hasEquality: true,
  hasOrdering: true,
  likeable: false,
  regexable: false,
}
