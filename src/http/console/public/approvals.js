// "Pending approvals": what waits for this person's decision (their own threads', and as
// an approver their tenant's). First painted from GET /chat/approvals (and again after each
// reconnect), then kept live by `approval.requested` / `approval.decided`.

import { ApiError } from './api.js';
import { age, byId, el, pretty, time } from './dom.js';

export class ApprovalsPanel {
  /** `onOpenThread(threadId)`; `onDecided(threadId, runId)` after this page's own decision. */
  constructor(api, me, { onOpenThread, onDecided }) {
    this.api = api;
    this.me = me;
    this.seen = new Set();
    this.onOpenThread = onOpenThread;
    this.onDecided = onDecided;
    this.items = new Map();
    this.list = byId('pending');
    this.decidedList = byId('decided');
    this.note = byId('approvals-note');
    this.list.replaceChildren();
    this.decidedList.replaceChildren();
    this.note.textContent = '';
    this.ticker = setInterval(() => this.refreshAges(), 10_000);
    this.sync();
  }

  close() {
    clearInterval(this.ticker);
  }

  /** The whole list from Postgres: first paint, and after a reconnect (events missed meanwhile). */
  async refresh() {
    const { approvals } = await this.api.pendingApprovals();
    const keep = new Set(approvals.map(key));
    for (const [k, item] of this.items) if (!keep.has(k)) this.remove(k, item);
    for (const approval of approvals) this.add(approval);
  }

  add(approval) {
    const k = key(approval);
    if (this.items.has(k)) return;
    const item = new PendingItem(approval, this);
    this.items.set(k, item);
    this.list.append(item.node);
    this.sync();
  }

  /** Decided anywhere (here, another page, another transport): it moves to "Recently decided". */
  decided(event) {
    const k = key(event);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    const item = this.items.get(k);
    const action = item?.approval.value?.description ?? item?.approval.value?.action ?? event.interrupt_id;
    if (item) this.remove(k, item);
    const by = event.decided_by ?? 'someone';
    this.decidedList.prepend(el('li', {}, `${action}: ${event.decision} by ${by}, ${time(event.decided_at)}`));
    if (item && !item.mine) this.note.textContent = `${action} was decided elsewhere: ${event.decision} by ${by}.`;
  }

  remove(k, item) {
    this.items.delete(k);
    item.node.remove();
    this.sync();
  }

  refreshAges() {
    for (const item of this.items.values()) item.refreshAge();
  }

  sync() {
    byId('approvals-empty').hidden = this.items.size > 0;
  }
}

const key = (a) => `${a.thread_id}\u0000${a.interrupt_id}`;

let uid = 0;

/** One listitem: action, arguments, description, requester, age; Approve / Reject / Edit and a comment. */
class PendingItem {
  constructor(approval, panel) {
    this.approval = approval;
    this.panel = panel;
    this.mine = false;
    const value = approval.value ?? {};
    const id = `approval-${++uid}`;
    this.ageNode = el('span', {}, age(approval.created_at));
    this.args = el('pre', { 'aria-label': 'Arguments' }, pretty(value.args ?? value));
    this.editor = el('textarea', { id: `${id}-args`, rows: 4, spellcheck: 'false' });
    this.editorBox = el('div', { hidden: true }, el('label', { for: `${id}-args` }, 'Arguments (JSON)'), this.editor);
    this.comment = el('input', { id: `${id}-comment`, type: 'text', maxlength: 2000 });
    this.error = el('p', { class: 'error', role: 'alert' });
    this.approveButton = el('button', { type: 'button', onclick: () => this.submit('approve') }, 'Approve');
    this.rejectButton = el('button', { type: 'button', class: 'secondary', onclick: () => this.submit('reject') }, 'Reject');
    this.editButton = el('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', onclick: () => this.toggleEditor() }, 'Edit');
    this.node = el(
      'li',
      { class: 'approval', 'aria-labelledby': `${id}-title` },
      el('strong', { id: `${id}-title` }, value.action ?? 'approval'),
      value.description ? el('span', {}, value.description) : null,
      this.args,
      el('span', { class: 'meta' }, `Requested by ${approval.requested_by}, `, this.ageNode, ` · thread `,
        el('button', { type: 'button', class: 'secondary', onclick: () => panel.onOpenThread(approval.thread_id) }, approval.thread_id)),
      this.editorBox,
      el('label', { for: `${id}-comment` }, 'Comment'),
      this.comment,
      this.error,
      el('div', { class: 'actions' }, this.approveButton, this.rejectButton, this.editButton),
    );
  }

  refreshAge() {
    this.ageNode.textContent = age(this.approval.created_at);
  }

  toggleEditor() {
    const open = this.editorBox.hidden;
    if (open && !this.editor.value) this.editor.value = pretty(this.approval.value?.args ?? {});
    this.editorBox.hidden = !open;
    this.editButton.setAttribute('aria-expanded', String(open));
    if (open) this.editor.focus();
  }

  /** Approve (an `edit` with the new arguments when the editor is open), or reject. */
  async submit(kind) {
    this.error.textContent = '';
    const decision = { decision: kind };
    if (kind === 'approve' && !this.editorBox.hidden) {
      let value;
      try {
        value = JSON.parse(this.editor.value);
      } catch (err) {
        this.error.textContent = `Invalid JSON in the arguments: ${err.message}. Nothing was sent.`;
        this.editor.focus();
        return;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        this.error.textContent = 'The arguments must be a JSON object. Nothing was sent.';
        return;
      }
      Object.assign(decision, { decision: 'edit', value });
    }
    if (this.comment.value.trim()) decision.comment = this.comment.value.trim();
    this.setBusy(true);
    try {
      const { run_id } = await this.panel.api.decide(this.approval.thread_id, this.approval.interrupt_id, decision);
      this.mine = true;
      this.panel.onDecided(this.approval.thread_id, run_id);
      this.panel.decided({ ...this.approval, decision: decision.decision, decided_by: this.panel.me, decided_at: new Date().toISOString() });
    } catch (err) {
      this.setBusy(false);
      if (err instanceof ApiError && err.code === 'already_decided') {
        const by = err.body?.decided_by ? ` by ${err.body.decided_by}` : '';
        this.error.textContent = `already_decided: this approval was already ${err.body?.status ?? 'decided'}${by}.`;
        this.approveButton.disabled = this.rejectButton.disabled = this.editButton.disabled = true;
      } else {
        this.error.textContent = `${err.code ?? 'error'}: ${err.message}`;
      }
    }
  }

  setBusy(busy) {
    for (const button of [this.approveButton, this.rejectButton, this.editButton]) button.disabled = busy;
  }
}
