import type { RunEvent, RunEventInput } from './run-event.js';

export interface EventLogLimits {
  maxEvents: number;
  maxBytes: number;
}

const COMPACT_AFTER = 4096;

/**
 * A run's events in order, numbered from 1, capped by count and bytes: the oldest events are
 * dropped first, so memory per run is bounded by the caps whatever its subscribers do.
 * Subscribers hold only a cursor (a seq) into it.
 */
export class RunEventLog {
  private events: (RunEvent | undefined)[] = [];
  /** Bytes appended up to and including events[i], for lag in bytes. */
  private cumulative: number[] = [];
  /** seq of events[0]. */
  private baseSeq = 1;
  /** Index of the oldest event still kept. */
  private head = 0;
  private keptBytes = 0;
  private appendedBytes = 0;
  /** Bytes appended before events[0] (non-zero once the array was compacted). */
  private bytesBeforeBase = 0;
  /** Readers: called when there is more to read (or a reason to stop). */
  private readonly listeners = new Set<() => void>();
  /** Writers: called after every append. */
  private readonly appendListeners = new Set<() => void>();
  private ended = false;
  private stopped?: { code: string; message: string };
  /** With replicas, readers see only what is stored (see `holdUntilStored`). */
  private held = false;
  private storedSeq = 0;

  /**
   * `afterSeq`: the seq the log starts after (a replica mirroring a run, or resuming it,
   * starts where the events it has begin).
   */
  constructor(
    private readonly limits: EventLogLimits,
    afterSeq = 0,
  ) {
    this.baseSeq = afterSeq + 1;
  }

  /** seq of the oldest event still in the log (lastSeq + 1 when it is empty). */
  get firstSeq(): number {
    return this.baseSeq + this.head;
  }

  get lastSeq(): number {
    return this.baseSeq + this.events.length - 1;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The newest seq readers may have: the last one, or the last one stored while held. */
  get readableSeq(): number {
    return this.held ? this.storedSeq : this.lastSeq;
  }

  /**
   * From now on, readers get an event only once it is stored (`markStored`): with replicas,
   * a frame a client got is one every replica agrees on, even if this process loses the run
   * before storing the rest (a freeze past its lease), and what it had not stored is dropped.
   */
  holdUntilStored(): void {
    this.held = true;
    this.storedSeq = this.lastSeq;
  }

  markStored(seq: number): void {
    const stored = Math.min(seq, this.lastSeq);
    if (!this.held || stored <= this.storedSeq) return;
    this.storedSeq = stored;
    this.notify();
  }

  /** Drops what was appended but never stored, and stops holding (another process writes on). */
  discardUnstored(): void {
    if (!this.held) return;
    while (this.lastSeq > this.storedSeq && this.events.length > this.head) {
      const event = this.events.pop();
      const upTo = this.cumulative.pop()!;
      const bytes = upTo - (this.cumulative.length ? this.cumulative[this.cumulative.length - 1] : this.bytesBeforeBase);
      this.appendedBytes -= bytes;
      this.keptBytes -= bytes;
      if (event?.event === 'end') this.ended = false;
    }
    this.held = false;
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /**
   * Numbers the event and keeps it. The object given becomes the event (no copy is made:
   * this runs once per token).
   */
  append(input: RunEventInput, bytes = estimateBytes(input)): RunEvent {
    if (this.ended) throw new Error('cannot append to a run log that has ended');
    const event = input as RunEvent;
    event.seq = this.lastSeq + 1;
    this.push(event, bytes);
    return event;
  }

  private push(event: RunEvent, bytes: number): void {
    this.events.push(event);
    this.appendedBytes += bytes;
    this.cumulative.push(this.appendedBytes);
    this.keptBytes += bytes;
    if (event.event === 'end') this.ended = true;
    this.enforceLimits();
    for (const listener of this.appendListeners) listener();
    if (!this.held) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private restartAt(seq: number): void {
    this.events = [];
    this.cumulative = [];
    this.head = 0;
    this.keptBytes = 0;
    this.bytesBeforeBase = this.appendedBytes;
    this.baseSeq = seq;
  }

  /**
   * Keeps an event numbered elsewhere (a mirror of a run another replica executes): one
   * already kept is ignored; one past a gap (events lost on the way) starts the log again
   * at its seq, so readers behind it get `replay_gap`. Returns whether it was kept.
   */
  accept(event: RunEvent, bytes = estimateBytes(event)): boolean {
    if (this.ended || event.seq <= this.lastSeq) return false;
    if (event.seq > this.lastSeq + 1) this.restartAt(event.seq);
    this.push(event, bytes);
    return true;
  }

  /**
   * Readers that have read everything kept are ended with this code (`rejoin`: the replica
   * is going away, or lost what feeds it); readers behind get what is kept first.
   */
  stop(code: string, message: string): void {
    if (this.ended || this.stopped) return;
    this.stopped = { code, message };
    this.notify();
  }

  /** Why readers are told to go (see `stop`), if they are. */
  get stopReason(): { code: string; message: string } | undefined {
    return this.stopped;
  }

  /**
   * Events after `afterSeq`, at most `max` of them; `null` when some of the events right
   * after `afterSeq` were already dropped (the caller's cursor fell off the log).
   */
  readAfter(afterSeq: number, max: number): RunEvent[] | null {
    const from = afterSeq + 1;
    if (from < this.firstSeq) return null;
    if (from > this.lastSeq) return EMPTY;
    const start = from - this.baseSeq;
    return this.events.slice(start, Math.min(start + max, this.events.length)) as RunEvent[];
  }

  /** The event with this seq, if it is still kept. */
  at(seq: number): RunEvent | undefined {
    return seq < this.firstSeq ? undefined : this.events[seq - this.baseSeq];
  }

  /** Bytes of the events after `afterSeq` (all appended bytes when it fell off the log). */
  bytesAfter(afterSeq: number): number {
    const index = afterSeq - this.baseSeq;
    if (index < 0) return this.appendedBytes;
    if (index >= this.cumulative.length) return 0;
    return this.appendedBytes - this.cumulative[index];
  }

  /** Calls `listener` after every append (a writer storing them), until the returned function is called. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Calls `listener` whenever readers have more to read or are told to stop, until the returned function is called. */
  onReadable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private enforceLimits(): void {
    // The newest event is always kept, whatever its size.
    while (this.size > 1 && (this.size > this.limits.maxEvents || this.keptBytes > this.limits.maxBytes)) {
      const index = this.head;
      this.keptBytes -= this.cumulative[index] - (index > 0 ? this.cumulative[index - 1] : this.bytesBeforeBase);
      this.events[index] = undefined;
      this.head++;
    }
    if (this.head > COMPACT_AFTER && this.head * 2 > this.events.length) {
      this.bytesBeforeBase = this.cumulative[this.head - 1];
      this.events = this.events.slice(this.head);
      this.cumulative = this.cumulative.slice(this.head);
      this.baseSeq += this.head;
      this.head = 0;
    }
  }
}

const EMPTY: RunEvent[] = [];

/** What an event costs to keep, roughly: its payload plus a fixed overhead per event. */
export function estimateBytes(input: RunEventInput): number {
  if (input.event === 'message') return input.data.text.length * 2 + 160;
  try {
    return (JSON.stringify(input.data)?.length ?? 0) * 2 + 96;
  } catch {
    return 1024;
  }
}
