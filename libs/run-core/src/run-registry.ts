import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { RiserPostgresSaver, type CheckpointFence } from '@riser/persistence';
import type { Subscription } from 'rxjs';
import { RunSignals } from './cluster/run-signals.js';
import type { RunExecution } from './run-execution.js';

/**
 * The runs this process executes now, by run and by thread. It routes stop signals to them
 * and fences their checkpoint writes: a process that lost a run's lease writes nothing more.
 */
@Injectable()
export class RunRegistry implements CheckpointFence, OnModuleInit, OnApplicationShutdown {
  private readonly runs = new Map<string, RunExecution>();
  private readonly byThread = new Map<string, RunExecution>();
  private subscription?: Subscription;

  constructor(
    private readonly signals: RunSignals,
    private readonly checkpointer: PostgresSaver,
  ) {}

  onModuleInit(): void {
    this.subscription = this.signals.stops$.subscribe(({ runId, reason }) => this.runs.get(runId)?.stop(reason));
    if (this.checkpointer instanceof RiserPostgresSaver) this.checkpointer.fence = this;
  }

  // Not on module destroy: stop signals must reach runs while they drain.
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  add(execution: RunExecution): void {
    this.runs.set(execution.runId, execution);
    this.byThread.set(execution.threadId, execution);
  }

  remove(execution: RunExecution): void {
    if (this.runs.get(execution.runId) === execution) this.runs.delete(execution.runId);
    if (this.byThread.get(execution.threadId) === execution) this.byThread.delete(execution.threadId);
  }

  get(runId: string): RunExecution | undefined {
    return this.runs.get(runId);
  }

  active(): RunExecution[] {
    return [...this.runs.values()];
  }

  check(threadId: string): void {
    this.byThread.get(threadId)?.assertLease();
  }
}
