/** Resolving a filter column's type: the built-ins, enums, arrays, and an opaque fallback for the rest. */

import { arrayType } from './arrayType.js'
import { boolType } from './boolType.js'
import { cmpText } from './cText.js'
import { dateTimeType } from './dateTimeType.js'
import { PgError } from './errors.js'
import { intervalType } from './intervalType.js'
import { jsonType } from './jsonType.js'
import { floatType, intType, numericType } from './numericTypes.js'
import { bpchar1, byteaType, cmpBpchar, textType, truncateName, uuidType } from './textTypes.js'
import { jsonbText, type TypeDef } from './TypeDef.js'
import type { FilterColumn } from './types.js'

// --- enum and opaque types -------------------------------------------------------------------------------------

function enumType(regtype: string, labels: readonly string[]): TypeDef {
  const index = new Map(labels.map((label, position) => [label, position]))
  const input = (text: string): number => {
    const position = index.get(text)
    if (position === undefined) throw new PgError('22P02', `invalid input value for enum ${regtype}: "${text}"`)
    return position
  }
  return {
    regtype,
    kind: 'enum',
    input,
    fromJson: (value) => input(jsonbText(value)),
    compare: (a, b) => (a as number) - (b as number),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

/** A type this module does not model: any literal is accepted, values compare as text. */
function opaqueType(regtype: string): TypeDef {
  return {
    regtype,
    kind: 'opaque',
    input: (text) => text,
    fromJson: (value) => jsonbText(value),
    compare: (a, b) => cmpText(a as string, b as string),
    hasEquality: true,
    hasOrdering: true,
    likeable: false,
    regexable: false,
  }
}

// --- type registry ---------------------------------------------------------------------------------------------

const builtinTypes = new Map<string, TypeDef>()

function builtin(typname: string): TypeDef | undefined {
  const cached = builtinTypes.get(typname)
  if (cached) return cached
  let type: TypeDef | undefined
  switch (typname) {
    case 'int2':
      type = intType('smallint', 16, 'smallint')
      break
    case 'int4':
      type = intType('integer', 32, 'integer')
      break
    case 'int8':
      type = intType('bigint', 64, 'bigint')
      break
    case 'float4':
      type = floatType('real', true)
      break
    case 'float8':
      type = floatType('double precision', false)
      break
    case 'numeric':
      type = numericType
      break
    case 'bool':
      type = boolType
      break
    case 'text':
      type = textType('text', 'text', (text) => text)
      break
    case 'varchar':
      // No `~~`/`~` operator has varchar as its declared left type (they are text's), so the trigger refuses them.
      type = textType('character varying', 'text', (text) => text, { likeable: false, regexable: false })
      break
    case 'bpchar':
      // `~~` exists for bpchar, but `~` is declared (bpchar, text), which the trigger's (type, type) lookup misses.
      type = textType('character', 'bpchar', bpchar1, { regexable: false, compare: cmpBpchar })
      break
    case 'name':
      type = textType('name', 'name', truncateName, { regexable: false })
      break
    case 'citext':
      type = textType('citext', 'citext', (text) => text, {
        compare: (a, b) => cmpText((a as string).toLowerCase(), (b as string).toLowerCase()),
        caseInsensitive: true,
      })
      break
    case 'uuid':
      type = uuidType
      break
    case 'bytea':
      type = byteaType
      break
    case 'json':
      type = jsonType(false)
      break
    case 'jsonb':
      type = jsonType(true)
      break
    case 'date':
      type = dateTimeType('date', 'date')
      break
    case 'timestamp':
      type = dateTimeType('timestamp', 'timestamp without time zone')
      break
    case 'timestamptz':
      type = dateTimeType('timestamptz', 'timestamp with time zone')
      break
    case 'time':
      type = dateTimeType('time', 'time without time zone')
      break
    case 'timetz':
      type = dateTimeType('timetz', 'time with time zone')
      break
    case 'interval':
      type = intervalType
      break
    default:
      return undefined
  }
  builtinTypes.set(typname, type)
  return type
}

/** SQL spellings accepted as well as typnames, for callers that only have `format_type` output. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  smallint: 'int2', integer: 'int4', int: 'int4', bigint: 'int8', real: 'float4', 'double precision': 'float8',
  decimal: 'numeric', boolean: 'bool', 'character varying': 'varchar', character: 'bpchar', char: 'bpchar',
  'timestamp with time zone': 'timestamptz', 'timestamp without time zone': 'timestamp',
  'time with time zone': 'timetz', 'time without time zone': 'time',
}

/** Display names of built-ins this module treats as opaque, so `got …` messages read as the server's. */
const OPAQUE_REGTYPES: Readonly<Record<string, string>> = {
  varbit: 'bit varying', bit: 'bit', inet: 'inet', cidr: 'cidr', macaddr: 'macaddr', money: 'money', xml: 'xml',
  oid: 'oid', tsvector: 'tsvector', tsquery: 'tsquery', point: 'point', int4range: 'int4range',
  int8range: 'int8range', numrange: 'numrange', tsrange: 'tsrange', tstzrange: 'tstzrange', daterange: 'daterange',
}

export function typeFor(column: FilterColumn): TypeDef {
  let typname = column.type.trim()
  typname = TYPE_ALIASES[typname] ?? typname
  if (typname.endsWith('[]')) typname = `_${TYPE_ALIASES[typname.slice(0, -2)] ?? typname.slice(0, -2)}`
  if (typname.startsWith('_') && typname.length > 1) {
    const element = typeFor({ name: column.name, type: typname.slice(1), enumLabels: column.enumLabels })
    const array = arrayType(element)
    return column.regtype === undefined ? array : { ...array, regtype: column.regtype }
  }
  if (column.enumLabels) return enumType(column.regtype ?? typname, column.enumLabels)
  const known = builtin(typname)
  if (known) return column.regtype === undefined ? known : { ...known, regtype: column.regtype }
  return opaqueType(column.regtype ?? OPAQUE_REGTYPES[typname] ?? typname)
}
