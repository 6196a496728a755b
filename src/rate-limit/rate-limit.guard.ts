import { HttpException, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Socket } from 'socket.io';
import type { Principal } from '@riser/auth';
import { RateLimiter } from './rate-limiter.js';

/** A socket event refused by the rate limit: the gateway's filter acks it `rate_limited`. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSec: number) {
    super(`too many runs or decisions: retry in ${retryAfterSec} s`);
  }
}

/**
 * Counts a run start or a decision against its principal's budget, on either transport.
 * Runs after the authentication guards (the global HTTP guard, the gateway's class guard),
 * so the principal is known. Past the budget: HTTP 429 `{"error": "rate_limited"}` with
 * `Retry-After`; a socket ack `rate_limited` with `retry_after`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ws = context.getType() === 'ws';
    const principal = ws
      ? (context.switchToWs().getClient<Socket>().data as { principal: Principal }).principal
      : context.switchToHttp().getRequest<{ user: Principal }>().user;
    const verdict = await this.limiter.consume(principal);
    if (verdict.allowed) return true;
    if (ws) throw new RateLimitedError(verdict.retryAfterSec);
    context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('retry-after', String(verdict.retryAfterSec))
      .header('x-ratelimit-limit', String(verdict.limit))
      .header('x-ratelimit-remaining', '0');
    throw new HttpException({ error: 'rate_limited', message: `too many runs or decisions: retry in ${verdict.retryAfterSec} s` }, 429);
  }
}

/** Marks a route or socket event that starts a run or decides an interrupt. */
export const RateLimited = () => UseGuards(RateLimitGuard);
