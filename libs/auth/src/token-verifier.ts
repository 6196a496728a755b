import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.js';
import { AuthError } from './errors.js';
import { createKeyResolver, type KeyResolver } from './key-resolver.js';
import { DEFAULT_TENANT, type Principal } from './principal.js';

/** No control characters (NUL included) and no unpaired surrogates: a name, not arbitrary bytes. */
const NAME = /^(?:[^\u0000-\u001f\u007f\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])+$/;

/**
 * Verifies a bearer token into a Principal. The HTTP strategy (passport-jwt) and the
 * Socket.IO handshake both go through the options and key resolver built here, so every
 * door checks tokens the same way: algorithm allowlist, issuer, audience, expiry.
 */
@Injectable()
export class TokenVerifier {
  private readonly keys: KeyResolver;
  readonly verifyOptions: jwt.VerifyOptions;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    this.keys = createKeyResolver(options);
    this.verifyOptions = {
      algorithms: options.algorithms,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSec,
    };
  }

  /** For passport-jwt's `secretOrKeyProvider`. */
  keyFor(rawToken: string): Promise<unknown> {
    const decoded = jwt.decode(rawToken, { complete: true });
    if (!decoded || typeof decoded === 'string') return Promise.reject(new AuthError('malformed token'));
    return this.keys.resolve(decoded.header.kid);
  }

  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError('missing bearer token');
    const key = await this.keyFor(token);
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, key as jwt.Secret, this.verifyOptions);
    } catch (err) {
      throw new AuthError(describe(err));
    }
    return this.toPrincipal(payload);
  }

  /**
   * Maps verified claims to a principal. Refused: a token without a subject, without an
   * expiry (it would never expire), living longer than the configured maximum, or whose
   * subject or tenant is not a name (control characters, unpaired surrogates).
   */
  toPrincipal(payload: jwt.JwtPayload | string): Principal {
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || !payload.sub) {
      throw new AuthError('token has no subject');
    }
    this.checkLifetime(payload);
    const claimed = payload[this.options.tenantClaim];
    const tenant = typeof claimed === 'string' && claimed ? claimed : DEFAULT_TENANT;
    // Subject and tenant name the owner of every thread: stored as text, shown in approvals.
    if (!NAME.test(payload.sub) || !NAME.test(tenant)) throw new AuthError('token subject or tenant holds control characters or broken text');
    const roles = payload[this.options.rolesClaim];
    return {
      sub: payload.sub,
      tenant,
      roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : typeof roles === 'string' ? roles.split(/[ ,]+/).filter(Boolean) : [],
      via: 'jwt',
      expiresAt: payload.exp,
    };
  }

  /**
   * A token's lifetime is `exp - iat`, its whole life as issued, so a week-long token is
   * refused even on its last day. What is left of it, `exp - now`, must be within the
   * maximum too (plus the clock tolerance): that is the only check for a token without
   * `iat`, whose issue time is unknown, and it stops an `iat` in the future from making any
   * lifetime look short.
   */
  private checkLifetime(payload: jwt.JwtPayload): void {
    const { exp, iat } = payload;
    if (typeof exp !== 'number') throw new AuthError('token has no expiry (exp)');
    const max = this.options.maxTtlSec;
    const now = Date.now() / 1000;
    const tooLong = (typeof iat === 'number' && exp - iat > max) || exp - now > max + this.options.clockToleranceSec;
    if (tooLong) throw new AuthError(`token lifetime is longer than the ${max} s allowed`);
  }
}

function describe(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'token expired';
  if (err instanceof jwt.NotBeforeError) return 'token not yet valid';
  if (err instanceof jwt.JsonWebTokenError) return `invalid token: ${err.message}`;
  return 'invalid token';
}
