import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { estimateBytes, eventJson, RunEventLog, RunLogs, StreamEndCode, type EventLogLimits, type LogRelease, type RunEvent, type RunEventInput } from '@riser/run-core';
import { RedisConnection, type RiserScripts } from './redis-connection.js';
import { RedisLogWriter, type AppendTarget } from './redis-log-writer.js';

export interface RedisRunLogsOptions extends EventLogLimits {
  /** How long a run's events are kept after it ends. */
  ttlMs: number;
  /** The lease: an active run's stream outlives a few of its renewals. */
  leaseMs: number;
}

/** How long a mirror nobody reads is kept, for a reader that comes right back. */
const LINGER_MS = 5000;
/** A run waiting for its turn (queued, delayed up to a day) keeps its first events this long. */
const PENDING_KEEP_MS = 25 * 3600_000;

interface Entry {
  log: RunEventLog;
  refs: number;
  writer?: RedisLogWriter;
  /** Subscribed to the run's live channel (a mirror of another replica's writes). */
  live: boolean;
  /** Live batches that came while the mirror was filling, or while a gap is being fetched. */
  backlog?: RunEvent[][];
  linger?: NodeJS.Timeout;
}

/**
 * Run logs in Redis Streams, for several replicas. One stream per run (ids are the run's own
 * seqs), capped like the in-process log, expiring RUN_LOG_TTL_MS after the run ends and kept
 * alive while it runs. The executing replica writes its local log through once per event-loop
 * turn; every other replica that serves readers of the run keeps one mirror of it: it
 * subscribes to the run's live channel first, then replays the stream, so no event falls in
 * between, and fans it out to its local readers from memory.
 */
@Injectable()
export class RedisRunLogs extends RunLogs implements OnModuleInit, AppendTarget {
  private readonly logger = new Logger('RedisRunLogs');
  private readonly entries = new Map<string, Entry>();
  private readonly opening = new Map<string, Promise<Entry | undefined>>();
  private readonly byChannel = new Map<string, string>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisRunLogsOptions,
  ) {
    super();
  }

  onModuleInit(): void {
    this.redis.subscriber.on('message', (channel: string, payload: string) => {
      const runId = this.byChannel.get(channel);
      const entry = runId && this.entries.get(runId);
      if (!entry || !entry.live) return;
      try {
        this.receive(runId, entry, JSON.parse(payload) as RunEvent[]);
      } catch (err) {
        this.logger.warn({ msg: 'unreadable live events', run_id: runId, err: (err as Error).message });
      }
    });
    // Without Redis nothing more becomes readable: readers get what is stored, then rejoin
    // (elsewhere, or later). Runs executing here go on and store their events when it is back.
    this.redis.onOutage(() => {
      for (const [runId, entry] of this.entries) {
        entry.log.stop(StreamEndCode.rejoin, 'the run store is unreachable; rejoin from the last event id');
        if (!entry.writer) void this.forget(runId, entry);
      }
    });
  }

  get available(): boolean {
    return this.redis.available;
  }

  async open(runId: string, attempt: number, { fresh = false, onFenced }: { fresh?: boolean; onFenced?: () => void } = {}): Promise<RunEventLog> {
    const fence = attempt > 1 ? attempt : 0;
    // Fence first, then read the tail: nothing the previous attempt sends after that is kept.
    const stored = fresh ? [] : await this.read(runId, fence);
    let entry = this.entries.get(runId);
    if (!entry) this.entries.set(runId, (entry = { log: new RunEventLog(this.options), refs: 0, live: false }));
    clearTimeout(entry.linger);
    for (const event of stored) entry.log.accept(event);
    await this.stopMirroring(runId, entry);
    entry.writer = new RedisLogWriter(this, runId, attempt, entry.log, () => this.activeKeepMs(), onFenced);
    return entry.log;
  }

  async close(runId: string, how: LogRelease): Promise<void> {
    const entry = this.entries.get(runId);
    if (!entry?.writer) return;
    const writer = entry.writer;
    entry.writer = undefined;
    await writer.close(how === 'ended' ? this.options.ttlMs : PENDING_KEEP_MS, how === 'handed_on');
    if (entry.refs === 0) return void this.forget(runId, entry);
    // Readers here go on following the run, now written by another replica.
    if (how === 'handed_on' && !entry.log.isEnded) await this.mirror(runId, entry).catch(() => undefined);
  }

  async acquire(runId: string, active: boolean): Promise<RunEventLog | undefined> {
    let entry = this.entries.get(runId);
    if (!entry) {
      let opening = this.opening.get(runId);
      if (!opening) {
        opening = this.openMirror(runId, active).finally(() => this.opening.delete(runId));
        this.opening.set(runId, opening);
      }
      entry = await opening;
      if (!entry) return undefined;
    }
    clearTimeout(entry.linger);
    entry.refs++;
    return entry.log;
  }

  release(runId: string): void {
    const entry = this.entries.get(runId);
    if (!entry || --entry.refs > 0 || entry.writer) return;
    entry.linger = setTimeout(() => {
      if (entry.refs === 0 && !entry.writer) void this.forget(runId, entry);
    }, LINGER_MS);
    entry.linger.unref();
  }

  async appendDetached(runId: string, events: RunEventInput[]): Promise<void> {
    const ends = events.some((e) => e.event === 'end');
    await this.appendRaw(runId, 0, events.map((e) => [0, e] as const), ends ? this.options.ttlMs : PENDING_KEEP_MS, 0);
  }

  async keepAlive(runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    const pipeline = this.redis.command.pipeline();
    for (const runId of runIds) pipeline.pexpire(this.key(runId, 'events'), this.activeKeepMs()).pexpire(this.key(runId, 'fence'), this.activeKeepMs());
    await pipeline.exec();
  }

  stopReaders(code: string, message: string): void {
    for (const entry of this.entries.values()) entry.log.stop(code, message);
  }

  /** AppendTarget: one writer batch. */
  append(runId: string, attempt: number, events: RunEvent[], keepMs: number, oldestSeq: number): Promise<number> {
    return this.appendRaw(runId, attempt, events.map((e) => [e.seq, e] as const), keepMs, oldestSeq);
  }

  private async appendRaw(runId: string, attempt: number, events: (readonly [number, RunEventInput])[], keepMs: number, oldestSeq: number): Promise<number> {
    const args: (string | number)[] = [attempt, keepMs, oldestSeq, this.key(runId, 'live')];
    for (const [seq, event] of events) args.push(seq, eventJson(event));
    return this.redis.command.riserAppend(this.key(runId, 'events'), this.key(runId, 'fence'), ...args);
  }

  /** The events kept for a run (after fencing it for `attempt`, when given). */
  private async read(runId: string, attempt: number, after = 0): Promise<RunEvent[]> {
    const pipeline = this.redis.command.pipeline();
    if (attempt) (pipeline as unknown as RiserScripts).riserAppend(this.key(runId, 'events'), this.key(runId, 'fence'), attempt, -1, 0, this.key(runId, 'live'));
    pipeline.xrange(this.key(runId, 'events'), after ? `${after + 1}-0` : '-', '+');
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    const entries = results[results.length - 1][1] as [string, string[]][];
    return entries.map(([, fields]) => JSON.parse(fields[1]) as RunEvent);
  }

  private async openMirror(runId: string, active: boolean): Promise<Entry | undefined> {
    const entry: Entry = { log: new RunEventLog(this.options), refs: 0, live: false };
    this.entries.set(runId, entry);
    try {
      await this.mirror(runId, entry);
    } catch (err) {
      this.entries.delete(runId);
      throw err;
    }
    if (entry.log.lastSeq === 0 && !active) {
      await this.forget(runId, entry);
      return undefined;
    }
    return entry;
  }

  /** Subscribe first, then replay what the stream holds after the log, then apply what came meanwhile. */
  private async mirror(runId: string, entry: Entry): Promise<void> {
    const channel = this.key(runId, 'live');
    entry.backlog = [];
    entry.live = true;
    this.byChannel.set(channel, runId);
    await this.redis.subscriber.subscribe(channel);
    await this.fill(runId, entry);
  }

  /** Reads the stream after the log's last event, then the live batches held meanwhile. */
  private async fill(runId: string, entry: Entry): Promise<void> {
    for (const event of await this.read(runId, 0, entry.log.lastSeq)) entry.log.accept(event, estimateBytes(event));
    const backlog = entry.backlog ?? [];
    entry.backlog = undefined;
    for (const batch of backlog) this.receive(runId, entry, batch);
  }

  private receive(runId: string, entry: Entry, batch: RunEvent[]): void {
    if (entry.backlog) return void entry.backlog.push(batch);
    if (batch.length && batch[0].seq > entry.log.lastSeq + 1 && entry.log.lastSeq > 0) {
      // Live messages were lost (a reconnect): fetch the gap from the stream first.
      entry.backlog = [batch];
      this.fill(runId, entry).catch(() => {
        entry.backlog = undefined;
        for (const event of batch) entry.log.accept(event);
      });
      return;
    }
    for (const event of batch) entry.log.accept(event);
  }

  private async stopMirroring(runId: string, entry: Entry): Promise<void> {
    if (!entry.live) return;
    entry.live = false;
    entry.backlog = undefined;
    const channel = this.key(runId, 'live');
    this.byChannel.delete(channel);
    await this.redis.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  private async forget(runId: string, entry: Entry): Promise<void> {
    if (this.entries.get(runId) === entry) this.entries.delete(runId);
    clearTimeout(entry.linger);
    await this.stopMirroring(runId, entry);
  }

  private activeKeepMs(): number {
    return this.options.ttlMs + 4 * this.options.leaseMs;
  }

  private key(runId: string, what: string): string {
    return this.redis.key(`{run:${runId}}`, what);
  }
}
