import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import type { ApprovalRecord, ApprovalStatus, Owner } from './records.js';
import { approvalFromRow as toRecord, type ApprovalRow } from './row-mapping.js';

/** Approvals: one row per interrupt, moved out of `pending` exactly once. */
@Injectable()
export class ApprovalStore {
  constructor(private readonly db: Database) {}

  async insertPending(
    q: Queryable,
    rows: { threadId: string; interruptId: string; runId: string; requestedBy: Owner; value: unknown }[],
  ): Promise<ApprovalRecord[]> {
    const inserted: ApprovalRecord[] = [];
    for (const row of rows) {
      const { rows: result } = await q.query<ApprovalRow>(
        `INSERT INTO riser.approvals (thread_id, interrupt_id, run_id, tenant, requested_by, value)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (thread_id, interrupt_id) DO NOTHING RETURNING *`,
        [row.threadId, row.interruptId, row.runId, row.requestedBy.tenant, row.requestedBy.sub, JSON.stringify(row.value ?? null)],
      );
      if (result[0]) inserted.push(toRecord(result[0]));
    }
    return inserted;
  }

  async get(threadId: string, interruptId: string, q: Queryable = this.db): Promise<ApprovalRecord | undefined> {
    const { rows } = await q.query<ApprovalRow>(
      'SELECT * FROM riser.approvals WHERE thread_id = $1 AND interrupt_id = $2',
      [threadId, interruptId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async pending(threadId: string, q: Queryable = this.db): Promise<ApprovalRecord[]> {
    const { rows } = await q.query<ApprovalRow>(
      `SELECT * FROM riser.approvals WHERE thread_id = $1 AND status = 'pending' ORDER BY created_at, interrupt_id`,
      [threadId],
    );
    return rows.map(toRecord);
  }

  /**
   * Pending approvals a viewer may decide, newest last: those on the viewer's own threads,
   * and with `tenantWide` (an approver) every one of the tenant's. The same audience the
   * socket's `approval.requested` goes to; read from Postgres, so any replica answers it.
   */
  async pendingFor(viewer: Owner & { tenantWide: boolean }, limit: number, q: Queryable = this.db): Promise<ApprovalRecord[]> {
    const { rows } = await q.query<ApprovalRow>(
      `SELECT a.* FROM riser.approvals a JOIN riser.threads t ON t.thread_id = a.thread_id
        WHERE a.status = 'pending' AND t.tenant = $1 AND ($3 OR t.owner_sub = $2)
        ORDER BY a.created_at, a.thread_id, a.interrupt_id LIMIT $4`,
      [viewer.tenant, viewer.sub, viewer.tenantWide, limit],
    );
    return rows.map(toRecord);
  }

  async list(threadId: string, q: Queryable = this.db): Promise<ApprovalRecord[]> {
    const { rows } = await q.query<ApprovalRow>(
      'SELECT * FROM riser.approvals WHERE thread_id = $1 ORDER BY created_at, interrupt_id',
      [threadId],
    );
    return rows.map(toRecord);
  }

  /**
   * Moves one approval out of `pending`, atomically: of any number of concurrent callers,
   * one gets the row back and every other gets `undefined` (the row lock serialises them and
   * the `status = 'pending'` condition is re-checked after the winner commits).
   */
  async decide(
    q: Queryable,
    threadId: string,
    interruptId: string,
    change: { status: Exclude<ApprovalStatus, 'pending'>; decision: unknown; decidedBy: Owner; resumeRunId: string | null },
  ): Promise<ApprovalRecord | undefined> {
    const { rows } = await q.query<ApprovalRow>(
      `UPDATE riser.approvals
          SET status = $3, decision = $4, decided_by = $5, decided_tenant = $6, resume_run_id = $7, decided_at = now()
        WHERE thread_id = $1 AND interrupt_id = $2 AND status = 'pending'
        RETURNING *`,
      [threadId, interruptId, change.status, JSON.stringify(change.decision ?? null), change.decidedBy.sub, change.decidedBy.tenant, change.resumeRunId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** A new message went past the pending interrupts: they will never be resumed. */
  async cancelPending(q: Queryable, threadId: string, by: Owner): Promise<ApprovalRecord[]> {
    const { rows } = await q.query<ApprovalRow>(
      `UPDATE riser.approvals SET status = 'cancelled', decided_by = $2, decided_tenant = $3, decided_at = now()
        WHERE thread_id = $1 AND status = 'pending' RETURNING *`,
      [threadId, by.sub, by.tenant],
    );
    return rows.map(toRecord);
  }
}
