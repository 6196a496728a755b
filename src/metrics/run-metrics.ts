import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { GraphRegistry, RunCoreEvents, type RunLifecycle } from '@riser/run-core';
import { RiserMetrics } from './riser-metrics.js';

/**
 * Runs and approvals, counted from the run core's own events (the core knows no metrics).
 * Assistants outside the registry's graphs count as `other`, so ids a client makes up do
 * not become label values.
 */
@Injectable()
export class RunMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly subscription = new Subscription();
  /** Runs whose attempt runs here, to keep `riser_runs_active` exact across ends and let-gos. */
  private readonly active = new Set<string>();

  constructor(
    private readonly metrics: RiserMetrics,
    private readonly events: RunCoreEvents,
    private readonly graphs: GraphRegistry,
  ) {}

  onModuleInit(): void {
    const m = this.metrics;
    this.subscription.add(this.events.lifecycle$.subscribe((event) => this.onLifecycle(event)));
    this.subscription.add(this.events.approvalRequested$.subscribe(() => m.approvalsRequested.inc()));
    this.subscription.add(
      this.events.approvalDecided$.subscribe((approval) => {
        m.approvalsDecided.inc({ decision: approval.decision });
        if (approval.decision === 'cancelled') return;
        const seconds = (Date.parse(approval.decided_at) - Date.parse(approval.requested_at)) / 1000;
        if (seconds >= 0) m.approvalDecisionSeconds.observe(seconds);
      }),
    );
  }

  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
  }

  private onLifecycle(event: RunLifecycle): void {
    const m = this.metrics;
    switch (event.kind) {
      case 'admitted':
        m.runsStarted.inc({ assistant: this.graphs.has(event.assistantId) ? event.assistantId : 'other', protocol: event.protocol });
        return;
      case 'started':
        m.attempts.inc();
        if (event.takeover) m.takeovers.inc();
        else m.queueWait.observe(event.waitedMs / 1000);
        this.active.add(event.runId);
        m.runsActive.set(this.active.size);
        return;
      case 'first_token':
        m.timeToFirstToken.observe(event.ms / 1000);
        return;
      case 'ended':
        m.runsEnded.inc({ status: event.status, code: event.code ?? 'none' });
        m.runDuration.observe({ status: event.status }, event.durationMs / 1000);
        this.stopped(event.runId);
        return;
      case 'let_go':
        m.letGo.inc({ why: event.why });
        this.stopped(event.runId);
        return;
    }
  }

  private stopped(runId: string): void {
    this.active.delete(runId);
    this.metrics.runsActive.set(this.active.size);
  }
}
