/** Rows of the demo schema's wedding part (examples/demo-schema.sql, section B) and what travels between vendors. */

export type TimelineStatus = 'planned' | 'in_progress' | 'done' | 'late'

export const STATUSES: readonly { value: TimelineStatus; label: string }[] = [
  { value: 'planned', label: 'Planned' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'done', label: 'Done' },
  { value: 'late', label: 'Late' },
]

export const isStatus = (value: unknown): value is TimelineStatus => STATUSES.some((status) => status.value === value)

export interface TimelineItem {
  id: string
  wedding_id: number
  starts_at: string
  title: string
  vendor_id: string | null
  status: TimelineStatus
  notes: string | null
  updated_at: string
}

/** The fields a vendor edits (through the queue). */
export type EditableField = 'status' | 'notes'

export interface Vendor {
  id: string
  name: string
  /** photographer, venue, caterer, florist…: also the vendor's key (`?vendor=`) and presence key in this demo. */
  role: string
}

export interface Wedding {
  id: number
  couple: string
  date: string
  vendors: Vendor[]
}

/** What each vendor publishes in the presence room. */
export interface VendorPresence {
  name: string
  role: string
}

/** The broadcast event a vendor sends when running late, and its payload. */
export const RUNNING_LATE = 'running-late'

export interface RunningLatePayload {
  /** The sender's vendor key. */
  vendor: string
  minutes: number
  message: string
}

/** Checks a received payload (anything may arrive on a broadcast topic); undefined when it is not a running-late alert. */
export function parseRunningLate(payload: unknown): RunningLatePayload | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const { vendor, minutes, message } = payload as Record<string, unknown>
  if (typeof vendor !== 'string' || vendor === '') return undefined
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) return undefined
  return { vendor, minutes: Math.round(minutes), message: typeof message === 'string' ? message.slice(0, 500) : '' }
}

/** The presence topic, which also carries the running-late broadcasts. */
export const weddingTopic = (weddingId: number) => `wedding:${weddingId}`

/** "09:00" in the viewer's time zone (the vendors are all at the venue). */
export const formatTime = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

/** "Saturday 19 June 2027". */
export const formatDate = (isoDate: string) =>
  new Date(`${isoDate}T12:00:00`).toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
