import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ActiveRun } from './active-run.js';

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

/**
 * What happens in the run core that transports may want to push to their clients: a run
 * started on a thread (so thread subscribers follow it), an approval was requested or
 * decided. In-process Subjects; transports subscribe, the core never waits for them.
 */
@Injectable()
export class RunCoreEvents {
  readonly runStarted$ = new Subject<ActiveRun>();
  readonly approvalRequested$ = new Subject<ApprovalRequested>();
  readonly approvalDecided$ = new Subject<ApprovalDecided>();
}
