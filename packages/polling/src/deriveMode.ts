/** How a live table is kept fresh right now. */
export type LiveMode = 'realtime' | 'polling' | 'catching-up' | 'offline'

/** Inputs the mode is derived from; {@link deriveMode} is the one place that decides. */
export interface ModeInputs {
  /** The network port says online. */
  online: boolean
  /** The initial load has completed. */
  loaded: boolean
  /** A catch-up read requested after a (re)subscribe has not completed yet. */
  catchingUp: boolean
  /**
   * The realtime path is live (postgres_changes: every lease got "Subscribed to PostgreSQL"; broadcast: the topic's
   * room is joined), the socket answered a recent heartbeat, and no catch-up is pending.
   */
  realtimeProven: boolean
  /** The last read through PostgREST succeeded (or none has failed yet). */
  restHealthy: boolean
}

/**
 * | online | realtime proven | REST healthy | loaded and caught up | mode        |
 * |--------|-----------------|--------------|----------------------|-------------|
 * | no     | –               | –            | –                    | offline     |
 * | yes    | yes             | –            | yes                  | realtime    |
 * | yes    | no              | no           | –                    | offline     |
 * | yes    | no              | yes          | no                   | catching-up |
 * | yes    | no              | yes          | yes                  | polling     |
 *
 * 'realtime' needs a completed load: before it, rows may be missing whatever the socket does.
 */
export function deriveMode(inputs: ModeInputs): LiveMode {
  if (!inputs.online) return 'offline'
  if (inputs.realtimeProven && inputs.loaded && !inputs.catchingUp) return 'realtime'
  if (!inputs.restHealthy) return 'offline'
  if (!inputs.loaded || inputs.catchingUp) return 'catching-up'
  return 'polling'
}
