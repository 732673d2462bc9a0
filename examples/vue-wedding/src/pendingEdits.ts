/**
 * Optimistic edits of the timeline: an edit is enqueued in the offline queue and shown at once over the live row,
 * until the live table shows it (or something newer), or the server refuses it. The queue reports only counts and
 * dead letters, not "this write landed", so an overlay is dropped when
 *
 * - the live row carries the edited value (our write, or someone else's equal one, arrived), or
 * - the write is a dead letter (refused: RLS, a check constraint): the row shows the server's value again and the
 *   reason is reported, or
 * - the queue confirmed everything (`pending` fell to 0) and the live row changed since then: that version is ours
 *   or newer (another vendor's later edit wins, as it did on the server).
 *
 * Until one of those, the edit shows, with "not saved yet" on it: offline for an hour, it stays.
 */
import { computed, onScopeDispose, shallowRef, watch, type ComputedRef, type Ref } from 'vue'
import type { Queue } from '@supasync/queue'
import type { EditableField, TimelineItem } from './model'

interface Overlay {
  value: string | null
  /** The queue entry, once stored. */
  entryId?: string
  /** Set when the queue had confirmed every write: the row's updated_at at that moment. */
  confirmedAt?: { version: string | undefined }
}

/** A timeline item as shown: the live row with this client's unsaved edits over it. */
export interface ShownItem extends TimelineItem {
  /** Fields with an edit of this client not confirmed yet (overlaid). */
  unsaved: readonly EditableField[]
}

export interface PendingEdits {
  /** The items sorted by start time, with unsaved edits applied. */
  items: ComputedRef<readonly ShownItem[]>
  /** Enqueues `{ [field]: value }` for the item and shows it at once. */
  edit: (id: string, field: EditableField, value: string | null) => void
  /** Edits that failed (refused by the server, or not stored), newest last. */
  problems: Readonly<Ref<readonly string[]>>
  dismissProblem: (index: number) => void
}

const overlayKey = (id: string, field: EditableField) => `${id}\u0000${field}`

export function usePendingEdits(rows: Readonly<Ref<ReadonlyMap<string, TimelineItem>>>, queue: Queue): PendingEdits {
  // Replaced (never mutated) on every change, so what reads it updates.
  const overlays = shallowRef<ReadonlyMap<string, Overlay>>(new Map())
  const problems = shallowRef<readonly string[]>([])
  const report = (message: string) => (problems.value = [...problems.value.slice(-4), message])

  const settle = () => {
    const { pending } = queue.status.get()
    const failed = queue.failed.get()
    let next: Map<string, Overlay> | undefined
    for (const [key, overlay] of overlays.value) {
      const [id, field] = key.split('\u0000') as [string, EditableField]
      const row = rows.value.get(id)
      const dead = overlay.entryId === undefined ? undefined : failed.find((letter) => letter.id === overlay.entryId)
      let keep: Overlay | undefined = overlay
      if (dead) {
        report(`Not saved: ${row?.title ?? 'an item'} (${field}): ${dead.reason.message}`)
        keep = undefined
      } else if (row && (row[field] ?? null) === overlay.value) {
        keep = undefined
      } else if (overlay.confirmedAt) {
        if (row?.updated_at !== overlay.confirmedAt.version) keep = undefined
      } else if (overlay.entryId !== undefined && pending === 0) {
        keep = { ...overlay, confirmedAt: { version: row?.updated_at } }
      }
      if (keep !== overlay) {
        next ??= new Map(overlays.value)
        if (keep) next.set(key, keep)
        else next.delete(key)
      }
    }
    if (next) overlays.value = next
  }

  watch(rows, settle)
  const offs = [queue.status.subscribe(settle), queue.failed.subscribe(settle)]
  onScopeDispose(() => offs.forEach((off) => off()))

  const items = computed<readonly ShownItem[]>(() => {
    const shown: ShownItem[] = []
    for (const row of rows.value.values()) {
      const unsaved: EditableField[] = []
      let item: TimelineItem = row
      for (const field of ['status', 'notes'] as const) {
        const overlay = overlays.value.get(overlayKey(row.id, field))
        if (overlay) {
          unsaved.push(field)
          item = { ...item, [field]: overlay.value }
        }
      }
      shown.push({ ...item, unsaved })
    }
    return shown.sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.title.localeCompare(b.title))
  })

  const edit = (id: string, field: EditableField, value: string | null) => {
    const key = overlayKey(id, field)
    const overlay: Overlay = { value }
    overlays.value = new Map(overlays.value).set(key, overlay)
    queue
      .enqueue({ type: 'update', table: 'timeline_items', values: { [field]: value }, match: { id } })
      .then(
        (write) => {
          if (overlays.value.get(key) !== overlay) return // a newer edit of the field took its place
          overlays.value = new Map(overlays.value).set(key, { ...overlay, entryId: write.id })
          settle()
        },
        (error: unknown) => {
          if (overlays.value.get(key) === overlay) {
            const rest = new Map(overlays.value)
            rest.delete(key)
            overlays.value = rest
          }
          report(`Not saved: ${error instanceof Error ? error.message : String(error)}`)
        },
      )
  }

  return {
    items,
    edit,
    problems,
    dismissProblem: (index) => (problems.value = problems.value.filter((_, at) => at !== index)),
  }
}
