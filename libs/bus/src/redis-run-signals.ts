import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RunSignals, type RunNote, type StopReason, type StopSignal } from '@riser/run-core';
import { RedisConnection } from './redis-connection.js';

/** How long a stop signal is kept for an executor that has not started listening yet. */
const REMEMBER_MS = 10 * 60_000;

type ControlMessage = ({ type: 'stop' } & StopSignal) | ({ type: 'note' } & { note: RunNote });

/**
 * Run signals between replicas: a stop is a key (read by an executor when it starts, so a
 * cancel that came first is not lost) plus a message on the control channel (heard at once
 * by the replica executing the run); notes go over the same channel. Presence is a hash per
 * run: subscribers per replica.
 */
@Injectable()
export class RedisRunSignals extends RunSignals implements OnModuleInit {
  private readonly logger = new Logger('RedisRunSignals');
  readonly stops$ = new Subject<StopSignal>();
  readonly notes$ = new Subject<RunNote>();
  private readonly channel: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly boot: string,
  ) {
    super();
    this.channel = redis.key('control');
  }

  async onModuleInit(): Promise<void> {
    this.redis.subscriber.on('message', (channel: string, payload: string) => {
      if (channel !== this.channel) return;
      try {
        const message = JSON.parse(payload) as ControlMessage;
        if (message.type === 'stop') this.stops$.next({ runId: message.runId, reason: message.reason });
        else this.notes$.next(message.note);
      } catch (err) {
        this.logger.warn({ msg: 'unreadable control message', err: (err as Error).message });
      }
    });
    await this.redis.subscriber.subscribe(this.channel);
  }

  async stop(signal: StopSignal): Promise<void> {
    const message: ControlMessage = { type: 'stop', ...signal };
    await this.redis.command
      .multi()
      .set(this.runKey(signal.runId, 'stop'), signal.reason, 'PX', REMEMBER_MS, 'NX')
      .publish(this.channel, JSON.stringify(message))
      .exec();
  }

  async stopRequested(runId: string): Promise<StopReason | undefined> {
    return ((await this.redis.command.get(this.runKey(runId, 'stop'))) as StopReason | null) ?? undefined;
  }

  notify(note: RunNote): void {
    const message: ControlMessage = { type: 'note', note };
    // Best effort: pending runs are also looked for every second, and runs are refused while Redis is down.
    this.redis.command.publish(this.channel, JSON.stringify(message)).catch(() => undefined);
  }

  subscriberJoined(runId: string): void {
    const key = this.runKey(runId, 'subs');
    this.redis.command.multi().hincrby(key, this.boot, 1).pexpire(key, 24 * 3600_000).exec().catch(() => undefined);
  }

  async subscriberLeft(runId: string): Promise<boolean> {
    const left = await this.redis.command.riserLeave(this.runKey(runId, 'subs'), this.boot);
    return left === 0;
  }

  private runKey(runId: string, what: string): string {
    // One hash slot per run ({…}), should the Redis be a cluster.
    return this.redis.key(`{run:${runId}}`, what);
  }
}
