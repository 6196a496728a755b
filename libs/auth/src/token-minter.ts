import jwt from 'jsonwebtoken';

export interface MintOptions {
  secret: string;
  sub: string;
  tenant?: string;
  roles?: string[];
  /** Lifetime: seconds, or a string such as "1h" or "15m". */
  ttl?: string | number;
  issuer?: string;
  audience?: string;
  tenantClaim?: string;
  rolesClaim?: string;
  /** Extra claims, for tests. */
  claims?: Record<string, unknown>;
}

/** Signs an HS256 token for a principal, as the dev `npm run token` and tests do. */
export function mintToken(options: MintOptions): string {
  const payload: Record<string, unknown> = { ...options.claims };
  if (options.tenant) payload[options.tenantClaim ?? 'tenant'] = options.tenant;
  if (options.roles?.length) payload[options.rolesClaim ?? 'roles'] = options.roles;
  return jwt.sign(payload, options.secret, {
    algorithm: 'HS256',
    subject: options.sub,
    expiresIn: (options.ttl ?? '1h') as jwt.SignOptions['expiresIn'],
    ...(options.issuer && { issuer: options.issuer }),
    ...(options.audience && { audience: options.audience }),
  });
}
