import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '@riser/auth';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import type { RateLimitSubject } from './rate-limit.plugin.js';

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSec: number; limit: number };

type Check = (subject: RateLimitSubject) => Promise<{ isExceeded?: boolean; ttlInSeconds?: number; max?: number }>;

/**
 * One budget per principal (an API key is a principal of its own), drawn on by the HTTP
 * routes and the socket events that start runs or decide interrupts: the store that
 * @fastify/rate-limit registered (in-process, or Redis shared by the replicas).
 */
@Injectable()
export class RateLimiter {
  private check?: Check;

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async consume(principal: Principal): Promise<RateLimitVerdict> {
    if (!this.config.rateLimit.perMinute) return { allowed: true };
    // Created on first use, after the plugin registered (one limiter, one store, for both transports).
    this.check ??= (this.adapterHost.httpAdapter.getInstance() as FastifyInstance).createRateLimit() as unknown as Check;
    const key = [principal.via, principal.tenant, principal.sub].map(encodeURIComponent).join(':');
    const result = await this.check({ rateLimitKey: key, routeOptions: {} });
    if (!result.isExceeded) return { allowed: true };
    return { allowed: false, retryAfterSec: Math.max(1, result.ttlInSeconds ?? 60), limit: result.max ?? this.config.rateLimit.perMinute };
  }
}
