import { QueueError, type QueueFailure } from './errors.js'
import { isAuthExpired, isRetryable, RequestFailure } from './requestFailure.js'

/**
 * The failure shown in `status.lastError` and dead letters: a retryable or auth-expired request is `UNREACHABLE`, any
 * other refusal `REJECTED`; a QueueError keeps its code; anything else (a thrown network error) is `UNREACHABLE`.
 */
export function failureOf(error: unknown): QueueFailure {
  const at = Date.now()
  if (error instanceof RequestFailure) {
    return { code: isRetryable(error) || isAuthExpired(error) ? 'UNREACHABLE' : 'REJECTED', message: error.message, status: error.status, pgCode: error.pgCode, details: error.details, hint: error.hint, at }
  }
  if (error instanceof QueueError) return { code: error.code, message: error.message, at }
  return { code: 'UNREACHABLE', message: messageOf(error), at }
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

export function asQueueError(error: unknown): QueueError {
  return error instanceof QueueError ? error : new QueueError('STORAGE_FAILED', messageOf(error), { cause: error })
}
