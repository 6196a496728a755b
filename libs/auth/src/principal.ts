/** Who is calling: the subject of a verified token (or API key) within its tenant. */
export interface Principal {
  sub: string;
  tenant: string;
  roles: readonly string[];
  /** How the caller proved who it is. */
  via: 'jwt' | 'api_key';
  /** Seconds since the epoch after which the credential is no longer valid (JWT `exp`). */
  expiresAt?: number;
}

export const DEFAULT_TENANT = 'default';

export function hasRole(principal: Principal, role: string): boolean {
  return principal.roles.includes(role);
}
