import type { InspectDeadLetter, InspectQueue, InspectQueueFailure, InspectSnapshot } from '@supasync/core'
import { formatAge, plural } from '../format.js'
import { empty, facts, h, pill, table } from '../h.js'
import { deadLetterKey, type RenderContext } from '../PanelState.js'

/** `REJECTED (409, 23505): duplicate key value violates unique constraint "…"`. */
export function failureText(failure: InspectQueueFailure): string {
  const where = [failure.status === undefined ? undefined : String(failure.status), failure.pgCode].filter((part) => part !== undefined && part !== '')
  return `${failure.code}${where.length ? ` (${where.join(', ')})` : ''}: ${failure.message}`
}

/**
 * The buttons of one dead letter. They carry the queue id and entry id as data attributes; the panel's one click
 * listener turns them into `inspectActions` calls. Discarding drops the write for good, so it asks once more.
 */
function deadLetterActions(doc: Document, queue: InspectQueue, letter: InspectDeadLetter, context: RenderContext): HTMLElement {
  const key = deadLetterKey(queue.id, letter.id)
  const busy = context.state.busy.has(key)
  const ids = { 'data-queue': queue.id, 'data-entry': letter.id }
  const button = (action: string, label: string, extra: Record<string, string> = {}) =>
    h(doc, 'button', { type: 'button', class: `action action-${action}`, 'data-action': action, 'data-key': `${action}:${key}`, disabled: busy, ...ids, ...extra }, label)
  const confirming = context.state.confirming === key
  const error = context.state.actionErrors.get(key)
  return h(
    doc,
    'div',
    { class: 'actions' },
    confirming
      ? [h(doc, 'span', { class: 'confirm' }, 'Drop this write for good? '), button('confirm-discard', 'Discard for good'), button('keep', 'Keep')]
      : [letter.kind === 'corrupt' ? null : button('retry', busy ? 'Working…' : 'Retry'), button('discard', 'Discard')],
    error ? h(doc, 'div', { class: 'error', role: 'alert' }, error) : null,
  )
}

function deadLetter(doc: Document, queue: InspectQueue, letter: InspectDeadLetter, context: RenderContext): HTMLElement {
  return h(
    doc,
    'li',
    { class: 'dead-letter', 'data-entry': letter.id },
    h(doc, 'div', { class: 'strong' }, letter.description),
    h(doc, 'div', { class: 'error' }, failureText(letter.reason)),
    h(doc, 'div', { class: 'sub' }, `entry ${letter.id} · ${plural(letter.attempts, 'attempt')} · enqueued ${formatAge(letter.enqueuedAt, context.now)} · failed ${formatAge(letter.reason.at, context.now)}`),
    context.canAct ? deadLetterActions(doc, queue, letter, context) : null,
  )
}

function queueSection(doc: Document, queue: InspectQueue, context: RenderContext): HTMLElement {
  const pending = queue.pendingWrites ?? []
  const dead = queue.deadLetters ?? []
  return h(
    doc,
    'section',
    { class: 'queue', 'data-queue': queue.id },
    h(
      doc,
      'h3',
      null,
      queue.name,
      ' ',
      pill(doc, queue.pending > 0 ? 'warn' : 'good', `${queue.pending} pending`),
      ' ',
      pill(doc, queue.failed > 0 ? 'bad' : 'muted', `${queue.failed} failed`),
      queue.flushing ? [' ', pill(doc, 'busy', 'flushing')] : null,
    ),
    facts(doc, [
      ['Storage', queue.storage],
      ['Oldest pending', queue.oldestPendingAt === undefined ? 'nothing pending' : formatAge(queue.oldestPendingAt, context.now)],
      queue.lastError ? ['Last error', h(doc, 'span', { class: 'error' }, failureText(queue.lastError))] : null,
    ]),
    h(doc, 'h4', null, 'Pending'),
    pending.length === 0
      ? empty(doc, 'No pending writes: everything is saved.')
      : table(doc, 'Pending writes', ['Write', 'State', 'Attempts', 'Enqueued'], pending, (write) => [write.description, write.state, write.attempts, formatAge(write.enqueuedAt, context.now)]),
    h(doc, 'h4', null, 'Dead letters'),
    dead.length === 0
      ? empty(doc, 'No dead letters.')
      : [
          context.canAct ? null : h(doc, 'p', { class: 'sub' }, 'Retry and Discard need a source with inspectActions.'),
          h(doc, 'ul', { class: 'dead-letters' }, dead.map((letter) => deadLetter(doc, queue, letter, context))),
        ],
  )
}

/** The Queue tab: each offline queue's pending writes (with ages) and dead letters (with reasons and actions). */
export function queueTab(snapshot: InspectSnapshot, context: RenderContext): HTMLElement {
  const queues = snapshot.queues ?? []
  const { doc } = context
  if (queues.length === 0) return h(doc, 'section', { class: 'tab-queue' }, empty(doc, 'No queues: createQueue({ sync, … }) registers one here.'))
  return h(doc, 'section', { class: 'tab-queue' }, queues.map((queue) => queueSection(doc, queue, context)))
}
