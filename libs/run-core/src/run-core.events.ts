import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ApprovalRecord, Owner } from '@riser/persistence';

/** Routing for a notification: who owns the thread it is about. */
export interface ThreadAudience {
  tenant: string;
  ownerSub: string;
}

/** A pending approval as its deciders see it: the socket event, and the HTTP list's items. */
export interface ApprovalRequest {
  thread_id: string;
  run_id: string;
  interrupt_id: string;
  value: unknown;
  requested_by: string;
  created_at: string;
}

export interface ApprovalRequested extends ThreadAudience, ApprovalRequest {}

export function approvalRequest(approval: ApprovalRecord): ApprovalRequest {
  return {
    thread_id: approval.threadId,
    run_id: approval.runId,
    interrupt_id: approval.interruptId,
    value: approval.value,
    requested_by: approval.requestedBy,
    created_at: approval.createdAt.toISOString(),
  };
}

export interface ApprovalDecided extends ThreadAudience {
  thread_id: string;
  interrupt_id: string;
  decision: string;
  decided_by: string;
  decided_at: string;
  /** When the interrupt asked (for the time a decision took). */
  requested_at: string;
  resume_run_id?: string;
}

/** What happens to runs on this replica, for metrics and logs (never for control). */
export type RunLifecycle =
  /** Admitted here: `running` at once, or `pending` (queued, delayed). */
  | { kind: 'admitted'; runId: string; assistantId: string; protocol: string; status: 'running' | 'pending' }
  /** An attempt began executing here; `waitedMs` since admission (queue wait), `takeover` after another replica lost it. */
  | { kind: 'started'; runId: string; attempt: number; waitedMs: number; takeover: boolean }
  /** Its first model token, `ms` after the attempt began. */
  | { kind: 'first_token'; runId: string; ms: number }
  /** Its end was recorded here. */
  | { kind: 'ended'; runId: string; status: string; code?: string; durationMs: number }
  /** An attempt here stopped without ending the run (fenced, or handed back at shutdown). */
  | { kind: 'let_go'; runId: string; why: 'fenced' | 'handed_back' };

/** The attempt a wrapper runs around, as logs and traces name it. */
export interface RunScope {
  runId: string;
  threadId: string;
  assistantId: string;
  tenant: string;
  attempt: number;
  protocol: string;
  /** The caller's context at admission, and that of the run this one resumes (RunRequest). */
  carrier?: Record<string, string>;
  resumes?: Record<string, string>;
}

/**
 * Wraps the execution of each attempt on this replica: how src/ gives a run's async work
 * its log fields and trace span without the core knowing either. Must call `fn` once.
 */
export type RunWrapper = <T>(run: RunScope, fn: () => Promise<T>) => Promise<T>;

/**
 * Approvals requested or decided, for transports to push to their clients, and the runs'
 * lifecycle, for metrics. In-process Subjects, raised on the replica where it happened; the
 * socket adapter carries approvals to the clients of every replica. Transports subscribe,
 * the core never waits for them.
 */
@Injectable()
export class RunCoreEvents {
  readonly lifecycle$ = new Subject<RunLifecycle>();
  readonly approvalRequested$ = new Subject<ApprovalRequested>();
  readonly approvalDecided$ = new Subject<ApprovalDecided>();
  /** Added to by src/ at start (log scope, trace span); the first added is the outermost. */
  readonly runWrappers: RunWrapper[] = [];
  /** Give the caller's context to store with a run at admission (src/ adds trace context). */
  readonly carrierSources: (() => Record<string, string> | undefined)[] = [];
  /** Give LangChain callback handlers for an attempt (src/ adds trace spans per node and model). */
  readonly callbackSources: ((runId: string) => object | undefined)[] = [];

  /** The caller's context, from every source (undefined with none). */
  carrier(): Record<string, string> | undefined {
    let carrier: Record<string, string> | undefined;
    for (const source of this.carrierSources) {
      const more = source();
      if (more) carrier = { ...carrier, ...more };
    }
    return carrier;
  }

  /** Extra callback handlers for an attempt, from every source. */
  callbacksFor(runId: string): object[] {
    const handlers: object[] = [];
    for (const source of this.callbackSources) {
      const handler = source(runId);
      if (handler) handlers.push(handler);
    }
    return handlers;
  }

  /** Runs one attempt inside every wrapper. */
  inRun<T>(run: RunScope, fn: () => Promise<T>): Promise<T> {
    return this.runWrappers.reduceRight<() => Promise<T>>((inner, wrap) => () => wrap(run, inner), fn)();
  }

  /** An interrupt is waiting for a decision on a thread of `owner`. */
  requested(owner: Owner, approval: ApprovalRecord): void {
    this.approvalRequested$.next({ tenant: owner.tenant, ownerSub: owner.sub, ...approvalRequest(approval) });
  }

  /** An approval left `pending` (decided, or cancelled by a new message). */
  decided(owner: Owner, approval: ApprovalRecord): void {
    this.approvalDecided$.next({
      tenant: owner.tenant,
      ownerSub: owner.sub,
      thread_id: approval.threadId,
      interrupt_id: approval.interruptId,
      decision: decisionOf(approval),
      decided_by: approval.decidedBy ?? owner.sub,
      decided_at: (approval.decidedAt ?? new Date()).toISOString(),
      requested_at: approval.createdAt.toISOString(),
      ...(approval.resumeRunId && { resume_run_id: approval.resumeRunId }),
    });
  }
}

/** The decision word of an approval that left `pending`: `approve`, `reject`, `edit`, `cancelled`. */
export const decisionOf = (approval: ApprovalRecord): string => DECISION_OF[approval.status];

const DECISION_OF: Record<ApprovalRecord['status'], string> = {
  pending: 'pending',
  approved: 'approve',
  rejected: 'reject',
  edited: 'edit',
  cancelled: 'cancelled',
};
