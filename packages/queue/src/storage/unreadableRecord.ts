/**
 * A record a storage could not read (a file that fails to open, an IndexedDB value that is not the queue's text) is
 * still handed to the queue, as this stand-in text, instead of failing the whole `readAll`: the queue then
 * quarantines it like any corrupt entry (kept in storage, listed in `failed` with the reason, never sent) and loads
 * the rest. One mechanism for every storage, so every unreadable record is counted and reported the same way.
 */
const PREFIX = 'supasync:unreadable-record: '

/** The text to hand over for a record that could not be read, `reason` saying why. */
export function unreadableRecord(reason: string): string {
  return PREFIX + reason
}

/** Why the record could not be read, when `text` is an {@link unreadableRecord} stand-in; else undefined. */
export function unreadableReason(text: string): string | undefined {
  return text.startsWith(PREFIX) ? text.slice(PREFIX.length) : undefined
}
