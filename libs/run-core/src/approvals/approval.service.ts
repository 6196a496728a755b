import { Injectable } from '@nestjs/common';
import type { Principal } from '@riser/auth';
import { ApprovalStore, RunStore, type ApprovalRecord } from '@riser/persistence';
import type { RunHandle } from '../run-handle.js';
import type { RunRequest } from '../run-request.js';
import { RunCoreEvents } from '../run-core.events.js';
import { RunError, RunErrorCode } from '../run-error.js';
import { RunService } from '../run.service.js';
import { ThreadService } from '../thread.service.js';

export type DecisionKind = 'approve' | 'reject' | 'edit';

export interface Decision {
  decision: DecisionKind;
  /** For `edit`: the changed arguments. */
  value?: unknown;
  comment?: string;
}

const STATUS_OF: Record<DecisionKind, 'approved' | 'rejected' | 'edited'> = {
  approve: 'approved',
  reject: 'rejected',
  edit: 'edited',
};

/**
 * Human decisions on interrupts, applied exactly once: moving the approval out of
 * `pending` and admitting the run that resumes the graph happen in one transaction, so of
 * any number of concurrent decisions one resumes the graph and the others get
 * `already_decided`, whichever transport they came from.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly threads: ThreadService,
    private readonly approvals: ApprovalStore,
    private readonly runStore: RunStore,
    private readonly runs: RunService,
    private readonly events: RunCoreEvents,
  ) {}

  /**
   * The pending approvals this principal may decide, oldest first: on its own threads, and
   * as an approver every one of its tenant's — whom `approval.requested` reaches.
   */
  pendingFor(principal: Principal, limit: number): Promise<ApprovalRecord[]> {
    const tenantWide = this.threads.access.approvesForTenant(principal);
    return this.approvals.pendingFor({ sub: principal.sub, tenant: principal.tenant, tenantWide }, limit);
  }

  async decide(principal: Principal, threadId: string, interruptId: string, decision: Decision): Promise<RunHandle> {
    const thread = await this.threads.readable(principal, threadId);
    if (!this.threads.access.canDecide(principal, thread)) {
      throw new RunError(RunErrorCode.forbidden, 'only the thread owner or an approver of its tenant may decide');
    }
    const approval = await this.approvals.get(threadId, interruptId);
    if (!approval) throw new RunError(RunErrorCode.interruptNotFound, `no interrupt ${interruptId} on thread ${threadId}`);
    if (approval.status !== 'pending') throw alreadyDecided(approval);
    if (thread.status !== 'interrupted') {
      throw new RunError(RunErrorCode.notInterrupted, `thread ${threadId} is ${thread.status}, not waiting for a decision`);
    }
    const interrupted = await this.runStore.get(approval.runId);
    const payload = { decision: decision.decision, value: decision.value, comment: decision.comment, decided_by: principal.sub };
    const pending = await this.approvals.pending(threadId);
    // One pending interrupt takes the value itself; several are resumed by id.
    const resume = pending.length > 1 ? { [interruptId]: payload } : payload;
    let decided: ApprovalRecord | undefined;
    const run = await this.runs.start(
      principal,
      {
        threadId,
        assistantId: interrupted?.assistantId,
        command: { resume },
        messages: 'text',
        metadata: { resumes: interruptId },
        protocol: 'approval',
        resumes: (interrupted?.request as RunRequest | null | undefined)?.carrier,
      },
      {
        intent: 'decide',
        within: async (tx, runId) => {
          decided = await this.approvals.decide(tx, threadId, interruptId, {
            status: STATUS_OF[decision.decision],
            decision: payload,
            decidedBy: { sub: principal.sub, tenant: principal.tenant },
            resumeRunId: runId,
          });
          if (!decided) throw alreadyDecided(await this.approvals.get(threadId, interruptId, tx));
        },
      },
    );
    if (decided) this.events.decided(thread.owner, decided);
    return run;
  }

  /**
   * A run resuming the thread with a raw `command.resume` (the Platform API's way): the
   * interrupts it answers leave `pending` in the same transaction, exactly once, so the
   * audit trail and the other transports agree. A map keyed by interrupt id answers those;
   * any other value answers every pending interrupt.
   */
  async resume(principal: Principal, request: RunRequest & { threadId: string }): Promise<RunHandle> {
    const resume = request.command?.resume;
    const answered: ApprovalRecord[] = [];
    const run = await this.runs.start(principal, request, {
      intent: 'decide',
      within: async (tx, runId) => {
        const pending = await this.approvals.pending(request.threadId, tx);
        const keyed = resume !== null && typeof resume === 'object' && pending.some((p) => p.interruptId in (resume as object));
        for (const approval of keyed ? pending.filter((p) => p.interruptId in (resume as object)) : pending) {
          const value = keyed ? (resume as Record<string, unknown>)[approval.interruptId] : resume;
          const row = await this.approvals.decide(tx, request.threadId, approval.interruptId, {
            status: statusOfResume(value),
            decision: value,
            decidedBy: { sub: principal.sub, tenant: principal.tenant },
            resumeRunId: runId,
          });
          if (!row) throw alreadyDecided(await this.approvals.get(request.threadId, approval.interruptId, tx));
          answered.push(row);
        }
      },
    });
    for (const row of answered) this.events.decided(run.threadOwner, row);
    return run;
  }
}

/** What a raw resume value decided, for the audit trail: `{decision}` when it says so, else approval. */
function statusOfResume(value: unknown): 'approved' | 'rejected' | 'edited' {
  const decision = (value as { decision?: unknown } | null)?.decision;
  return typeof decision === 'string' && decision in STATUS_OF ? STATUS_OF[decision as DecisionKind] : 'approved';
}

function alreadyDecided(approval: ApprovalRecord | undefined): RunError {
  return new RunError(RunErrorCode.alreadyDecided, 'this interrupt was already decided', {
    status: approval?.status,
    decided_by: approval?.decidedBy ?? undefined,
  });
}
