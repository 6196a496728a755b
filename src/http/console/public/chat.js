// Chat: pick an assistant, start or reopen a thread, send a message and watch the reply
// stream in. The run being followed is remembered in sessionStorage (thread, run, last seq,
// text so far), so a reload or a lost network rejoins after the last frame, with no word
// shown twice.

import { byId, el } from './dom.js';
import { followRun } from './stream.js';
import { interruptNode, messageNodes, trailNodes } from './thread-view.js';

const STREAM_KEY = 'riser.console.stream';

export class ChatPanel {
  constructor(api) {
    this.api = api;
    this.threadId = null;
    this.following = new Map();
    this.abort = new AbortController();
    this.messages = byId('messages');
    this.error = byId('chat-error');
    this.threadSelect = byId('thread');
    this.assistantSelect = byId('assistant');
    this.messages.replaceChildren();
    byId('trail').replaceChildren();
    byId('composer').onsubmit = (event) => {
      event.preventDefault();
      void this.send();
    };
    byId('new-thread').onclick = () => this.newThread();
    this.threadSelect.onchange = () => (this.threadSelect.value ? void this.open(this.threadSelect.value) : this.newThread());
  }

  async start() {
    const [assistants, threads] = await Promise.all([this.api.assistants(), this.api.threads()]);
    this.assistantSelect.replaceChildren(...assistants.map((a) => el('option', { value: a.graph_id, selected: a.graph_id === 'agent' }, a.name ?? a.graph_id)));
    this.threadSelect.replaceChildren(el('option', { value: '' }, '(new thread)'), ...threads.map((t) => el('option', { value: t.thread_id }, t.thread_id)));
    const stored = JSON.parse(sessionStorage.getItem(STREAM_KEY) ?? 'null');
    if (stored) {
      await this.open(stored.thread_id, { follow: false });
      this.follow({ rejoin: { thread_id: stored.thread_id, run_id: stored.run_id }, seq: stored.seq, text: stored.text });
    }
  }

  close() {
    this.abort.abort();
  }

  newThread() {
    this.threadId = null;
    this.threadSelect.value = '';
    this.messages.replaceChildren();
    byId('trail').replaceChildren();
    byId('thread-status').textContent = 'New thread: your first message starts it.';
    byId('message').focus();
  }

  /** Shows a thread; follows its run when one is in progress. */
  async open(threadId, { follow = true } = {}) {
    this.threadId = threadId;
    this.ensureOption(threadId);
    const view = await this.reload();
    const run = view?.latest_run;
    if (follow && run && (run.status === 'running' || run.status === 'pending')) this.follow({ rejoin: { thread_id: threadId, run_id: run.run_id } });
  }

  async reload() {
    if (!this.threadId) return undefined;
    const threadId = this.threadId;
    try {
      const view = await this.api.thread(threadId);
      if (threadId !== this.threadId) return undefined;
      this.messages.replaceChildren(...messageNodes(view));
      byId('trail').replaceChildren(...trailNodes(view));
      byId('thread-status').textContent = `Thread ${view.thread_id}: ${view.status}`;
      this.scroll();
      return view;
    } catch (err) {
      this.error.textContent = `${err.code ?? 'error'}: ${err.message}`;
      return undefined;
    }
  }

  async send() {
    const input = byId('message');
    const message = input.value.trim();
    if (!message) return;
    this.error.textContent = '';
    input.value = '';
    if (!this.threadId) this.messages.replaceChildren();
    this.messages.append(el('li', { class: 'user' }, el('span', { class: 'who' }, 'You'), message));
    const body = { message, assistant_id: this.assistantSelect.value || undefined, ...(this.threadId && { thread_id: this.threadId }) };
    this.follow({ start: body });
  }

  /** A decision (here or elsewhere) resumed a run of the thread on screen: watch it. */
  resumed(threadId, runId) {
    if (threadId === this.threadId && runId && !this.following.has(runId)) this.follow({ rejoin: { thread_id: threadId, run_id: runId } });
  }

  follow({ start, rejoin, seq = 0, text = '' }) {
    const runKey = rejoin?.run_id ?? `new-${Date.now()}`;
    this.following.set(runKey, true);
    const content = document.createTextNode(text);
    const bubble = el('li', { class: 'assistant', 'aria-busy': 'true' }, el('span', { class: 'who' }, 'Assistant'), content);
    this.messages.append(bubble);
    let streamed = text;
    let target = rejoin;
    let failed = false;
    const remember = (lastSeq) => target && sessionStorage.setItem(STREAM_KEY, JSON.stringify({ ...target, seq: lastSeq, text: streamed }));
    byId('send').disabled = true;
    followRun({
      api: this.api,
      start,
      rejoin,
      lastSeq: seq,
      signal: this.abort.signal,
      onFrame: (frame, lastSeq) => {
        if (frame.thread_id && frame.run_id) {
          target = { thread_id: frame.thread_id, run_id: frame.run_id };
          this.following.set(frame.run_id, true);
          if (!this.threadId) {
            this.threadId = frame.thread_id;
            this.ensureOption(frame.thread_id);
          }
          if (frame.thread_id === this.threadId) byId('thread-status').textContent = `Thread ${frame.thread_id}: busy`;
        } else if (typeof frame.content === 'string') {
          streamed += frame.content;
          content.textContent = streamed;
          this.scroll();
        } else if (frame.interrupt) {
          for (const i of frame.interrupts ?? []) this.messages.append(interruptNode(i.value));
        } else if (frame.error && frame.error !== 'replay_gap') {
          failed = frame.error !== 'rejoin' && frame.error !== 'slow_consumer';
          if (failed) this.error.textContent = `${frame.error}: ${frame.message ?? 'the run stopped'}`;
        }
        remember(lastSeq);
      },
    })
      .then(async () => {
        sessionStorage.removeItem(STREAM_KEY);
        bubble.removeAttribute('aria-busy');
        if (target?.thread_id !== this.threadId) return;
        const view = await this.reload();
        this.check(view, streamed, failed);
      })
      .catch((err) => {
        if (this.abort.signal.aborted) return;
        sessionStorage.removeItem(STREAM_KEY);
        bubble.remove();
        this.error.textContent = `${err.code ?? 'error'}: ${err.message}`;
      })
      .finally(() => {
        byId('send').disabled = false;
      });
  }

  /** What streamed must be what was stored: say so plainly if not (a lost or repeated frame). */
  check(view, streamed, failed) {
    const replies = (view?.messages ?? []).filter((m) => m.role === 'assistant' && m.content);
    const stored = replies.at(-1)?.content;
    byId('conversation').dataset.lastStreamed = streamed;
    if (!failed && streamed && stored !== undefined && stored !== streamed) {
      this.error.textContent = 'The streamed reply differs from the stored one; showing the stored one.';
    }
  }

  ensureOption(threadId) {
    if (![...this.threadSelect.options].some((o) => o.value === threadId)) this.threadSelect.append(el('option', { value: threadId }, threadId));
    this.threadSelect.value = threadId;
  }

  scroll() {
    const box = byId('conversation');
    box.scrollTop = box.scrollHeight;
  }
}
