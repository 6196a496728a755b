import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ApprovalRecord, Owner } from '@riser/persistence';

/** Routing for a notification: who owns the thread it is about. */
export interface ThreadAudience {
  tenant: string;
  ownerSub: string;
}

export interface ApprovalRequested extends ThreadAudience {
  thread_id: string;
  run_id: string;
  interrupt_id: string;
  value: unknown;
  requested_by: string;
  created_at: string;
}

export interface ApprovalDecided extends ThreadAudience {
  thread_id: string;
  interrupt_id: string;
  decision: string;
  decided_by: string;
  decided_at: string;
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

  /** An interrupt is waiting for a decision on a thread of `owner`. */
  requested(owner: Owner, approval: ApprovalRecord): void {
    this.approvalRequested$.next({
      tenant: owner.tenant,
      ownerSub: owner.sub,
      thread_id: approval.threadId,
      run_id: approval.runId,
      interrupt_id: approval.interruptId,
      value: approval.value,
      requested_by: approval.requestedBy,
      created_at: approval.createdAt.toISOString(),
    });
  }

  /** An approval left `pending` (decided, or cancelled by a new message). */
  decided(owner: Owner, approval: ApprovalRecord): void {
    this.approvalDecided$.next({
      tenant: owner.tenant,
      ownerSub: owner.sub,
      thread_id: approval.threadId,
      interrupt_id: approval.interruptId,
      decision: DECISION_OF[approval.status],
      decided_by: approval.decidedBy ?? owner.sub,
      decided_at: (approval.decidedAt ?? new Date()).toISOString(),
      ...(approval.resumeRunId && { resume_run_id: approval.resumeRunId }),
    });
  }
}

const DECISION_OF: Record<ApprovalRecord['status'], string> = {
  pending: 'pending',
  approved: 'approve',
  rejected: 'reject',
  edited: 'edit',
  cancelled: 'cancelled',
};
