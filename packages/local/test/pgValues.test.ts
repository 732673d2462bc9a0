import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresHandle } from '../src/postgres.js'
import { parseArrayLiteral, parseRecordLiteral, pgTextToJson, type PgType } from '../src/realtime/pgValues.js'

/** Sample values per type, as SQL literals cast with `::<type>`. Edge cases are the point. */
const SAMPLES: [type: string, values: string[]][] = [
  ['int2', ['0', '-32768', '32767']],
  ['int4', ['0', '-2147483648', '2147483647', '42']],
  ['int8', ['0', '-9223372036854775808', '9223372036854775807', '9007199254740993', '123456789012']],
  ['oid', ['0', '4294967295']],
  ['float4', ['0', '-0', '0.1', '1.5e-7', '3.4e38', '1e-45', 'NaN', 'Infinity', '-Infinity', '123456.78']],
  ['float8', ['0', '-0', '0.1', '1e300', '1.5e-10', '5e-324', 'NaN', 'Infinity', '-Infinity', '3.141592653589793']],
  ['numeric', ['0', '1.10', '-0.000001', '12345678901234567890.123456789', 'NaN', 'Infinity', '-Infinity', '1e20']],
  ['bool', ['true', 'false']],
  ['text', ['', 'plain', 'quote " and \\ backslash', 'line\nbreak\ttab', 'unicode ✓ 日本 🎉', 'NULL']],
  ['varchar', ['abc', '']],
  ['bpchar', ['ab']],
  ['char(5)', ['ab']],
  ['"char"', ['a']],
  ['name', ['some_name']],
  ['uuid', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
  ['json', ['{"b":1,"a":[1,2,{"c":null}]}', '[]', '"str"', '12.50', 'null', '{"dup":1,"dup":2}']],
  ['jsonb', ['{"b":1,"a":[1,2,{"c":null}]}', '{}', 'true', '1e3', '"\\u00e9"']],
  [
    'timestamptz',
    [
      '2026-11-23 07:28:00.123456+00',
      '2026-11-23 07:28:00+05:30',
      '2026-11-23 07:28:00.5-03:30',
      '2000-01-01 00:00:00+00',
      'infinity',
      '-infinity',
      '0044-03-15 12:00:00+00 BC',
      '10000-01-01 00:00:00+00',
      '1850-01-01 00:00:00+00',
    ],
  ],
  ['timestamp', ['2026-11-23 07:28:00.123456', '2026-11-23 07:28:00', 'infinity', '0044-03-15 12:00 BC', '294276-12-31 23:59:59.999999']],
  ['date', ['2026-11-23', 'infinity', '-infinity', '0044-03-15 BC']],
  ['time', ['07:28:00', '23:59:59.999999', '24:00:00']],
  ['timetz', ['07:28:00+05:30', '12:00:00.123-03:30:15']],
  ['interval', ['1 day 02:03:04', '-1 year', '00:00:00.000001']],
  ['bytea', ['\\x0102ff', '\\x', 'hello']],
  ['money', ['1.50']],
  ['inet', ['192.168.0.1/24']],
  ['point', ['(1,2)']],
  ['int4range', ['[1,5)']],
  ['_int4', ['{1,NULL,3}', '{}', '{{1,2},{3,4}}', '[0:1]={7,8}']],
  ['_int8', ['{9223372036854775807,-1}']],
  ['_text', ['{a,"b c",NULL,"NULL","",x\\,y}', '{"quote \\" backslash \\\\"}', '{{a,b},{c,d}}', '{" leading space"}']],
  ['_bool', ['{t,f,NULL}']],
  ['_float8', ['{1.5,NaN,-Infinity,-0}']],
  ['_numeric', ['{1.10,NaN}']],
  ['_jsonb', ['{"{\\"a\\": 1}","[1, 2]",NULL}']],
  ['_json', ['{"{\\"a\\":1}"}']],
  ['_timestamptz', ['{"2026-11-23 07:28:00+00","2026-11-23 07:28:00.1+05:30",infinity}']],
  ['_timestamp', ['{"2026-11-23 07:28:00"}']],
  ['_date', ['{2026-11-23,NULL}']],
  ['_uuid', ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}']],
  ['_bytea', ['{"\\\\x01",NULL}']],
  ['_box', ['{(1,1),(0,0);(2,2),(1,1)}']],
  ['_varchar', ['{"{}",","}']],
]

/** Postgres' typname for a cast target as written in SAMPLES. */
function typnameOf(castType: string): string {
  if (castType === 'char(5)') return 'bpchar'
  if (castType === '"char"') return 'char'
  return castType
}

let postgres: PostgresHandle
let client: pg.Client

/** Leaves every column as the type's output-function text, exactly what pgoutput carries ('::text' would differ for bpchar). */
const rawText = { getTypeParser: () => (value: string) => value }

/** Asks Postgres for both the text output (what pgoutput carries) and to_jsonb of the same value. */
async function fromPostgres(literal: string, castType: string): Promise<{ text: string; json: unknown }> {
  const sqlType = castType.startsWith('_') ? `${castType.slice(1)}[]` : castType
  return valueAndJson(`$1::${sqlType}`, [literal])
}

async function valueAndJson(expression: string, values: unknown[]): Promise<{ text: string; json: unknown }> {
  const raw = await client.query<{ text: string; json: string }>({
    text: `select ${expression} as text, to_jsonb(${expression})::text as json`,
    values,
    types: rawText,
  })
  const row = raw.rows[0]
  if (!row) throw new Error('no row')
  // JSON.parse of Postgres' own jsonb text is the reference: the same number precision a client would get.
  return { text: row.text, json: JSON.parse(row.json) }
}

beforeAll(async () => {
  postgres = await startPostgres()
  client = new pg.Client({ connectionString: postgres.superuserUrl })
  await client.connect()
  // The change stream pins these on its session; the text formats the converter parses depend on them.
  await client.query("set datestyle = 'ISO, MDY'; set intervalstyle = 'postgres'; set bytea_output = 'hex'; set extra_float_digits = 1")
})

afterAll(async () => {
  await client?.end()
  await postgres?.stop()
})

describe('pgTextToJson matches to_jsonb(value::type)', () => {
  for (const [castType, values] of SAMPLES) {
    it(castType, async () => {
      for (const literal of values) {
        const { text, json } = await fromPostgres(literal, castType)
        expect({ literal, value: pgTextToJson(text, typnameOf(castType)) }).toEqual({ literal, value: json })
      }
    })
  }

  for (const timeZone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'America/New_York', 'Pacific/Chatham']) {
    it(`timestamptz under TimeZone=${timeZone}`, async () => {
      await client.query(`set timezone = '${timeZone}'`)
      try {
        for (const literal of [
          '2026-11-23 07:28:00.123456+00',
          '2026-06-01 00:00:00+00',
          '1850-01-01 00:00:00+00',
          '0044-03-15 12:00:00+00 BC',
        ]) {
          const { text, json } = await fromPostgres(literal, 'timestamptz')
          expect({ literal, value: pgTextToJson(text, 'timestamptz') }).toEqual({ literal, value: json })
          const array = await fromPostgres(`{"${literal}"}`, '_timestamptz')
          expect(pgTextToJson(array.text, '_timestamptz')).toEqual(array.json)
        }
      } finally {
        await client.query("set timezone = 'UTC'")
      }
    })
  }

  it('now() renders like to_jsonb(now())', async () => {
    const row = await valueAndJson('now()', [])
    expect(pgTextToJson(row.text, 'timestamptz')).toEqual(row.json)
    expect(row.json).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/)
  })

  it('composite types and domains, given descriptors', async () => {
    await client.query(`
      drop type if exists pgv_inner cascade; drop type if exists pgv_outer cascade; drop domain if exists pgv_pos;
      create domain pgv_pos as int4 check (value > 0);
      create type pgv_inner as (n numeric, flag bool, note text);
      create type pgv_outer as (id int8, inner_value pgv_inner, tags text[], at timestamptz, j jsonb, p pgv_pos)`)
    const inner: PgType = {
      kind: 'composite',
      fields: [
        { name: 'n', type: { kind: 'base', name: 'numeric' } },
        { name: 'flag', type: { kind: 'base', name: 'bool' } },
        { name: 'note', type: { kind: 'base', name: 'text' } },
      ],
    }
    const outer: PgType = {
      kind: 'composite',
      fields: [
        { name: 'id', type: { kind: 'base', name: 'int8' } },
        { name: 'inner_value', type: inner },
        { name: 'tags', type: { kind: 'array', element: { kind: 'base', name: 'text' }, delimiter: ',' } },
        { name: 'at', type: { kind: 'base', name: 'timestamptz' } },
        { name: 'j', type: { kind: 'base', name: 'jsonb' } },
        // A domain is described by its base type.
        { name: 'p', type: { kind: 'base', name: 'int4' } },
      ],
    }
    const literals = [
      `(1,"(1.5,t,""a, \\\\""quoted\\\\"" (note)"")","{x,""y z"",NULL}","2026-11-23 07:28:00+00","{""k"": [1, ""(v)""]}",3)`,
      '(2,,,,,)',
      '(3,"(,,"""")",{},,null,)',
    ]
    for (const literal of literals) {
      const row = await valueAndJson('$1::pgv_outer', [literal])
      expect(pgTextToJson(row.text, outer)).toEqual(row.json)
    }
    const array = await valueAndJson('array[$1::pgv_outer, null]', [literals[0]])
    expect(pgTextToJson(array.text, { kind: 'array', element: outer, delimiter: ',' })).toEqual(array.json)
  })
})

describe('literal parsers', () => {
  it('parses array literals', () => {
    expect(parseArrayLiteral('{}')).toEqual([])
    expect(parseArrayLiteral('{1,NULL,"NULL",null}')).toEqual(['1', null, 'NULL', null])
    expect(parseArrayLiteral('{"a\\"b","c\\\\d",e\\,f}')).toEqual(['a"b', 'c\\d', 'e,f'])
    expect(parseArrayLiteral('[2:3][1:1]={{a},{b}}')).toEqual([['a'], ['b']])
    expect(parseArrayLiteral('{ 1 , 2 }')).toEqual(['1', '2'])
    expect(parseArrayLiteral('{(1,1),(0,0);(2,2),(1,1)}', ';')).toEqual(['(1,1),(0,0)', '(2,2),(1,1)'])
    expect(() => parseArrayLiteral('{1,2')).toThrow(SyntaxError)
    expect(() => parseArrayLiteral('1,2')).toThrow(SyntaxError)
  })

  it('parses record literals', () => {
    expect(parseRecordLiteral('()')).toEqual([null])
    expect(parseRecordLiteral('(1,,"")')).toEqual(['1', null, ''])
    expect(parseRecordLiteral('("a ""b""","c\\\\d",x)')).toEqual(['a "b"', 'c\\d', 'x'])
    expect(() => parseRecordLiteral('1,2')).toThrow(SyntaxError)
  })

  it('maps SQL NULL to JSON null for every type', () => {
    expect(pgTextToJson(null, 'int4')).toBeNull()
    expect(pgTextToJson(null, '_text')).toBeNull()
  })
})
