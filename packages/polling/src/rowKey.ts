import { SupasyncError } from '@supasync/core'

/**
 * The view's key of a row: the primary key value as a string for a one-column key (`"42"`, a uuid), a JSON
 * array of the values for a composite key. Undefined when a key column is missing or null.
 */
export function rowKey(row: Readonly<Record<string, unknown>>, primaryKey: readonly string[]): string | undefined {
  if (primaryKey.length === 1) {
    const value = row[primaryKey[0]!]
    return value === null || value === undefined ? undefined : String(value)
  }
  const values: unknown[] = []
  for (const column of primaryKey) {
    const value = row[column]
    if (value === null || value === undefined) return undefined
    values.push(typeof value === 'number' || typeof value === 'string' ? String(value) : value)
  }
  return JSON.stringify(values)
}

/** Normalises the `primaryKey` option to a non-empty list of column names. */
export function primaryKeyColumns(primaryKey: string | readonly string[] | undefined, where: string): string[] {
  const columns = primaryKey === undefined ? ['id'] : typeof primaryKey === 'string' ? [primaryKey] : [...primaryKey]
  if (columns.length === 0 || columns.some((column) => typeof column !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(column))) {
    throw new SupasyncError('INVALID_OPTIONS', `${where}: primaryKey must be a column name or a non-empty list of column names; got ${JSON.stringify(primaryKey)}.`)
  }
  return columns
}
