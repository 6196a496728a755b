import { Logger } from '@nestjs/common';
import type { RunEvent, RunEventLog } from '@riser/run-core';

/** What a writer needs from the store: one scripted append per batch. */
export interface AppendTarget {
  /** Appends (explicit seqs); resolves with the stream's last seq, or -1 when fenced. */
  append(runId: string, attempt: number, events: RunEvent[], keepMs: number, oldestSeq: number): Promise<number>;
}

const RETRY_MS = 500;
const GIVE_UP_MS = 60_000;

/**
 * Stores what a run's local log gets, once per event-loop turn: the events appended in one
 * turn (a model's tokens) go to Redis in one scripted call, not one round trip each, and
 * batches go in order, one at a time. The log's readers here get an event once it is stored,
 * so every replica's readers see the same frames. While Redis is down, batches wait and are retried
 * (bounded by the log's own caps: what the log dropped is not sent). A fenced write stops the
 * writer for good and says so.
 */
export class RedisLogWriter {
  private readonly logger = new Logger('RedisLogWriter');
  private queue: RunEvent[] = [];
  private scheduled = false;
  private inFlight?: Promise<void>;
  private retry?: NodeJS.Timeout;
  private fenced = false;
  private closedAt?: number;
  private readonly unlisten: () => void;

  constructor(
    private readonly target: AppendTarget,
    readonly runId: string,
    readonly attempt: number,
    readonly log: RunEventLog,
    private keepMs: () => number,
    private readonly onFenced?: () => void,
  ) {
    log.holdUntilStored();
    this.unlisten = log.onAppend(() => this.enqueue(log.at(log.lastSeq)!));
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** Stores everything queued (one attempt; a failure is retried in the background). */
  async flush(): Promise<void> {
    await this.inFlight;
    if (this.queue.length) await this.send();
  }

  /**
   * Stops listening to the log once what it queued is stored. `handingOn`: another process
   * writes on, so what could not be stored is dropped here; otherwise (the run ended) it is
   * retried in the background for a while.
   */
  async close(keepMs: number, handingOn: boolean): Promise<void> {
    this.keepMs = () => keepMs;
    this.unlisten();
    await this.flush().catch(() => undefined);
    if (handingOn) {
      // Another process writes on: what could not be stored is dropped, and the log here
      // becomes a plain reader of what that process stores.
      this.queue = [];
      this.log.discardUnstored();
      return;
    }
    if (!this.queue.length) return;
    this.closedAt = Date.now();
    this.scheduleRetry();
  }

  private enqueue(event: RunEvent): void {
    if (this.fenced) return;
    this.queue.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.inFlight || !this.queue.length) return;
    await this.send().catch(() => this.scheduleRetry());
    if (this.queue.length && this.closedAt !== undefined) this.scheduleRetry();
  }

  private async send(): Promise<void> {
    if (this.fenced || !this.queue.length) return;
    // Events the log no longer keeps are not sent: readers get replay_gap for them.
    const oldest = this.log.firstSeq;
    const batch = this.queue.filter((e) => e.seq >= oldest);
    this.queue = [];
    const sending = this.target.append(this.runId, this.attempt, batch, this.keepMs(), oldest).then(
      (last) => {
        if (last === -1) this.fence();
        else this.log.markStored(last);
      },
      (err: unknown) => {
        this.queue = [...batch, ...this.queue];
        throw err;
      },
    );
    this.inFlight = sending.finally(() => (this.inFlight = undefined)).catch(() => undefined);
    await sending;
    if (this.queue.length) await this.send();
  }

  private scheduleRetry(): void {
    if (this.retry || this.fenced) return;
    // A closed writer gives up after a while: those events stay only in this process's memory.
    if (this.closedAt !== undefined && Date.now() - this.closedAt > GIVE_UP_MS) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.pump();
    }, RETRY_MS);
    this.retry.unref();
  }

  private fence(): void {
    if (this.fenced) return;
    this.fenced = true;
    this.queue = [];
    this.unlisten();
    // Readers here never saw these: the new attempt's frames take their seqs.
    this.log.discardUnstored();
    this.logger.warn({ msg: 'a later attempt owns this run: its events are no longer stored from here', run_id: this.runId, attempt: this.attempt });
    this.onFenced?.();
  }
}
