import { mintToken } from '@riser/auth';

export interface TokenClaims {
  tenant?: string;
  roles?: string[];
  ttl?: string | number;
  issuer?: string;
  audience?: string;
  claims?: Record<string, unknown>;
}

/** A token factory bound to one secret: `tokens('alice', {tenant: 'acme'})`. */
export function tokenFactory(secret: string, defaults: TokenClaims = {}) {
  return (sub: string, claims: TokenClaims = {}): string => mintToken({ secret, sub, ...defaults, ...claims });
}
