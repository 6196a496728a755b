import { Controller, Get, Inject, Query } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { ApprovalService, approvalRequest, RunError, RunErrorCode } from '@riser/run-core';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { approvalListQuerySchema } from './chat.schemas.js';
import type { z } from 'zod';

/**
 * What a front end needs before its socket says anything: who the credential is, and the
 * approvals waiting for it. The list is the first paint and the catch-up after a reconnect;
 * `approval.requested` / `approval.decided` keep it live.
 */
@Controller('chat')
export class ApprovalsController {
  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly approvals: ApprovalService,
  ) {}

  /** The caller as Riser sees it: a sign-in check that costs nothing but the token's verification. */
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return { sub: principal.sub, tenant: principal.tenant, roles: principal.roles, via: principal.via, expires_at: principal.expiresAt ?? null };
  }

  /**
   * Pending approvals the caller may decide, oldest first, shaped like `approval.requested`:
   * on its own threads, and for an approver every one of its tenant's. Read from Postgres,
   * so every replica answers the same.
   */
  @Get('approvals')
  async pending(@Query(new ZodPipe(approvalListQuerySchema)) query: z.infer<typeof approvalListQuerySchema>, @CurrentPrincipal() principal: Principal) {
    if (query.limit > this.config.http.maxPageSize) {
      throw new RunError(RunErrorCode.invalidRequest, `limit: must be at most ${this.config.http.maxPageSize} (MAX_PAGE_SIZE)`, { field: 'limit' });
    }
    const rows = await this.approvals.pendingFor(principal, query.limit);
    return { approvals: rows.map(approvalRequest) };
  }
}
