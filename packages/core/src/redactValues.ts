/**
 * A server's error text without the values it quotes, for monitoring events that must carry no row data. Postgres
 * quotes a refused value after a colon (`invalid input syntax for type integer: "abc"`, `invalid input value for enum
 * mood: "happyy"`) and a conflicting key as `Key (email)=(a@b.c)`; identifiers it quotes elsewhere (`violates unique
 * constraint "todos_pkey"`, `column "title" of relation "todos"`) say what to fix and stay. Messages your own
 * triggers raise are passed as they are: do not put row data in them.
 */
export function redactValues(message: string): string {
  return message
    .replace(/: "(?:[^"\\]|\\.)*"/g, ': "…"')
    .replace(/: '(?:[^'\\]|\\.)*'/g, ": '…'")
    .replace(/=\((?:[^()]|\([^()]*\))*\)/g, '=(…)')
}
