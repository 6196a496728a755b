// A thread as GET /chat/threads/:id gives it: its messages (tool calls and results
// included), its status, and the approval trail — who asked, who decided, when, with what
// comment.

import { el, pretty, time } from './dom.js';

const LABEL = { user: 'You', assistant: 'Assistant', tool: 'Tool result', system: 'System' };

export function messageNodes(view) {
  const nodes = [];
  for (const m of view.messages) {
    if (m.content || m.role !== 'assistant') {
      nodes.push(el('li', { class: m.role, 'data-message-id': m.id }, el('span', { class: 'who' }, LABEL[m.role] ?? m.role), m.content));
    }
    for (const call of m.tool_calls ?? []) {
      nodes.push(el('li', { class: 'tool-call' }, el('span', { class: 'who' }, `Tool call: ${call.name}`), pretty(call.args)));
    }
  }
  for (const approval of view.approvals ?? []) nodes.push(interruptNode(approval.value));
  return nodes;
}

/** A pending approval shown inline in the conversation. */
export function interruptNode(value) {
  const what = value?.description ?? value?.action ?? 'an action';
  return el('li', { class: 'interrupt' }, el('span', { class: 'who' }, 'Waiting for approval'), what);
}

export function trailNodes(view) {
  const rows = [];
  for (const a of view.decided_approvals ?? []) {
    const what = a.value?.description ?? a.value?.action ?? a.interrupt_id;
    rows.push(
      el(
        'li',
        {},
        `${what} — asked by ${a.requested_by} at ${time(a.created_at)}; ${a.decision} by ${a.decided_by ?? 'unknown'} at ${time(a.decided_at)}`,
        a.comment ? `; comment: “${a.comment}”` : '',
        a.edited_value !== undefined ? el('pre', {}, `edited arguments: ${pretty(a.edited_value)}`) : null,
      ),
    );
  }
  for (const a of view.approvals ?? []) {
    const what = a.value?.description ?? a.value?.action ?? a.interrupt_id;
    rows.push(el('li', {}, `${what} — asked by ${a.requested_by} at ${time(a.created_at)}; pending`));
  }
  if (!rows.length) rows.push(el('li', { class: 'muted' }, 'No approvals on this thread.'));
  return rows;
}
