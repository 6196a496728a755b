export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'PS256';

export interface AuthOptions {
  /** Shared secret for HMAC tokens (HS*). Exactly one of secret and jwksUri is set. */
  secret?: string;
  /** JWKS endpoint for asymmetric tokens (RS*, ES*, PS*). */
  jwksUri?: string;
  /** The only algorithms a token may be signed with; never `none`. */
  algorithms: JwtAlgorithm[];
  issuer?: string;
  audience?: string;
  tenantClaim: string;
  rolesClaim: string;
  /** Tolerated clock difference, seconds. */
  clockToleranceSec: number;
  /** Longest lifetime a token may have, seconds (tokens without `exp` are refused). */
  maxTtlSec: number;
  /** sha256 hex digest of an API key → the principal it stands for. */
  apiKeys: ReadonlyMap<string, { sub: string; tenant: string; roles: string[] }>;
}

export const AUTH_OPTIONS = Symbol('riser:auth-options');
