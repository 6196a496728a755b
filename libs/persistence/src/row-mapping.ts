import type { ApprovalRecord, ApprovalStatus, ThreadRecord, ThreadStatus } from './records.js';

/** Rows as pg returns them, and as `to_jsonb` does (timestamps then arrive as strings). */
export interface ThreadRow {
  thread_id: string;
  owner_sub: string;
  tenant: string;
  status: ThreadStatus;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export interface ApprovalRow {
  thread_id: string;
  interrupt_id: string;
  run_id: string;
  tenant: string;
  requested_by: string;
  value: unknown;
  status: ApprovalStatus;
  decision: unknown;
  decided_by: string | null;
  resume_run_id: string | null;
  created_at: Date;
  decided_at: Date | null;
}

export const threadFromRow = (row: ThreadRow): ThreadRecord => ({
  threadId: row.thread_id,
  owner: { sub: row.owner_sub, tenant: row.tenant },
  status: row.status,
  metadata: row.metadata,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const approvalFromRow = (row: ApprovalRow): ApprovalRecord => ({
  threadId: row.thread_id,
  interruptId: row.interrupt_id,
  runId: row.run_id,
  tenant: row.tenant,
  requestedBy: row.requested_by,
  value: row.value,
  status: row.status,
  decision: row.decision,
  decidedBy: row.decided_by,
  resumeRunId: row.resume_run_id,
  createdAt: row.created_at,
  decidedAt: row.decided_at,
});

export const threadFromJson = (row: ThreadRow): ThreadRecord =>
  threadFromRow({ ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) });

export const approvalFromJson = (row: ApprovalRow): ApprovalRecord =>
  approvalFromRow({ ...row, created_at: new Date(row.created_at), decided_at: row.decided_at ? new Date(row.decided_at) : null });
