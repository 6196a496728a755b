import { hasRole, type Principal } from '@riser/auth';
import type { ThreadRecord } from '@riser/persistence';

/**
 * Rules for who may do what with a thread. A thread one cannot read does not exist for one.
 * `riser.admit_run` (migration 004) applies the same rules inside the database when a run is
 * admitted; change both together.
 */
export class ThreadAccess {
  constructor(private readonly approverRole: string) {}

  isOwner(principal: Principal, thread: ThreadRecord): boolean {
    return thread.owner.sub === principal.sub && thread.owner.tenant === principal.tenant;
  }

  isApprover(principal: Principal, thread: ThreadRecord): boolean {
    return thread.owner.tenant === principal.tenant && this.approvesForTenant(principal);
  }

  /** Reviews every request of its own tenant (not only its own threads'). */
  approvesForTenant(principal: Principal): boolean {
    return hasRole(principal, this.approverRole);
  }

  /** Owner, or an approver of the same tenant (who reviews its requests). */
  canRead(principal: Principal, thread: ThreadRecord): boolean {
    return this.isOwner(principal, thread) || this.isApprover(principal, thread);
  }

  /** Decide an interrupt, cancel a run. */
  canDecide(principal: Principal, thread: ThreadRecord): boolean {
    return this.canRead(principal, thread);
  }

  /** Send messages into the conversation: the owner only. */
  canWrite(principal: Principal, thread: ThreadRecord): boolean {
    return this.isOwner(principal, thread);
  }
}
