import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyVerifier } from './api-key.verifier.js';
import { ALLOWS_QUERY_TOKEN, IS_PUBLIC } from './decorators.js';
import { AuthError } from './errors.js';
import { JwtStrategy, QUERY_TOKEN_ALLOWED } from './jwt.strategy.js';
import type { Principal } from './principal.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/**
 * The one global HTTP guard: every route needs a principal unless marked @Public().
 * `x-api-key` (the LangGraph SDK's header) is checked when present; otherwise a JWT bearer
 * token through passport-jwt. Socket.IO connections authenticate in their handshake instead.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
    private readonly apiKeys: ApiKeyVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest();
    const res = context.switchToHttp().getResponse();
    req[QUERY_TOKEN_ALLOWED] =
      req.method === 'GET' && !!this.reflector.getAllAndOverride<boolean>(ALLOWS_QUERY_TOKEN, targets);
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey && this.apiKeys.enabled && !req.headers.authorization) {
      req.user = this.verifyApiKey(apiKey);
      return true;
    }
    const token = bearerOf(req);
    const known = token && this.verified.get(token);
    if (known) {
      req.user = known;
      return true;
    }
    req.user = await this.authenticate(req, res);
    if (token) this.verified.set(token, req.user);
    return true;
  }

  private verifyApiKey(key: string): Principal {
    try {
      return this.apiKeys.verify(key);
    } catch (err) {
      throw unauthorized(err);
    }
  }

  private authenticate(req: unknown, res: unknown): Promise<Principal> {
    return new Promise((resolve, reject) => {
      const authenticate = this.strategy
        .getPassportInstance()
        .authenticate('jwt', { session: false }, (err: unknown, user: Principal | false, info: unknown) => {
          if (err || !user) reject(unauthorized(err ?? info));
          else resolve(user);
        });
      authenticate(req, res, (err: unknown) => reject(unauthorized(err)));
    });
  }
}

/** The token a request carries (header, or the query where allowed), for the cache. */
function bearerOf(req: { headers: Record<string, unknown>; query?: Record<string, unknown>; [QUERY_TOKEN_ALLOWED]?: boolean }): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7);
  const query = req[QUERY_TOKEN_ALLOWED] ? req.query?.access_token : undefined;
  return typeof query === 'string' ? query : undefined;
}

/** A 401 whose message says what was wrong with the credential, never the credential. */
function unauthorized(cause: unknown): UnauthorizedException {
  let message = 'missing or invalid credentials';
  if (cause instanceof AuthError) message = cause.message;
  else if (cause instanceof Error) {
    if (cause.name === 'TokenExpiredError') message = 'token expired';
    else if (cause.name === 'NotBeforeError') message = 'token not yet valid';
    else if (cause.name === 'JsonWebTokenError') message = `invalid token: ${cause.message}`;
    else if (cause.message === 'No auth token') message = 'missing bearer token';
  }
  return new UnauthorizedException({ error: 'unauthorized', message });
}
