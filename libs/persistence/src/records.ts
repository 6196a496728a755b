/** Who owns a record: the principal's subject within its tenant. */
export interface Owner {
  sub: string;
  tenant: string;
}

export type ThreadStatus = 'idle' | 'busy' | 'interrupted' | 'error';

export interface ThreadRecord {
  threadId: string;
  owner: Owner;
  status: ThreadStatus;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type RunStatus = 'pending' | 'running' | 'success' | 'error' | 'timeout' | 'interrupted' | 'cancelled';

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'success',
  'error',
  'timeout',
  'interrupted',
  'cancelled',
]);

export interface RunRecord {
  runId: string;
  threadId: string;
  assistantId: string;
  owner: Owner;
  status: RunStatus;
  errorCode: string | null;
  errorMessage: string | null;
  kwargs: Record<string, unknown>;
  metadata: Record<string, unknown>;
  multitaskStrategy: string;
  worker: WorkerIdentity | null;
  leaseExpiresAt: Date | null;
  lastSeq: number | null;
  baseCheckpointId: string | null;
  /** 1 for the first execution; each takeover by another process start adds one (the fencing token). */
  attempt: number;
  /** Who executed each attempt, from when, and how it ended. */
  attempts: RunAttempt[];
  /** What to execute (the run core's request), so any replica can claim or resume the run. */
  request: Record<string, unknown> | null;
  /** When a pending run may start (after_seconds). */
  dueAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

export interface RunAttempt {
  attempt: number;
  worker: string;
  boot: string;
  started_at: string;
  /** The run's status, or `lost` (lease ran out) or `handed_back` (its replica shut down). */
  outcome?: string;
}

/** The process executing a run: its id, host and pid, and a random id per process start. */
export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
  boot: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'edited' | 'cancelled';

export interface ApprovalRecord {
  threadId: string;
  interruptId: string;
  runId: string;
  tenant: string;
  requestedBy: string;
  value: unknown;
  status: ApprovalStatus;
  decision: unknown;
  decidedBy: string | null;
  resumeRunId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}
