import { Inject, Injectable } from '@nestjs/common';
import { RunEventLog } from '../event-log.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from '../run-core.options.js';
import type { RunEventInput } from '../run-event.js';
import { RunLogs, type LogRelease } from './run-logs.js';

/**
 * Run logs in this process's memory (one replica): a run's log lives from its admission
 * until `RUN_LOG_TTL_MS` after it ends; a run's readers read the very log its executor writes.
 */
@Injectable()
export class LocalRunLogs extends RunLogs {
  private readonly logs = new Map<string, RunEventLog>();

  constructor(@Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions) {
    super();
  }

  get available(): boolean {
    return true;
  }

  async open(runId: string): Promise<RunEventLog> {
    let log = this.logs.get(runId);
    if (!log) this.logs.set(runId, (log = new RunEventLog(this.options.log)));
    return log;
  }

  async close(runId: string, how: LogRelease): Promise<void> {
    // Handed on within one process: the next writer opens the same log.
    if (how === 'ended') this.expire(runId);
  }

  async acquire(runId: string, active: boolean): Promise<RunEventLog | undefined> {
    // An active run's events may still come (or its end, from whoever ends it).
    return active ? this.open(runId) : this.logs.get(runId);
  }

  release(): void {
    // Kept until it expires, whoever reads it.
  }

  async appendDetached(runId: string, events: RunEventInput[]): Promise<void> {
    const log = await this.open(runId);
    for (const event of events) if (!log.isEnded) log.append(event);
    if (log.isEnded) this.expire(runId);
  }

  async keepAlive(): Promise<void> {
    // Nothing expires while its run is active.
  }

  stopReaders(code: string, message: string): void {
    for (const log of this.logs.values()) log.stop(code, message);
  }

  private expire(runId: string): void {
    const log = this.logs.get(runId);
    setTimeout(() => {
      if (this.logs.get(runId) === log) this.logs.delete(runId);
    }, this.options.log.ttlMs).unref();
  }
}
