export interface ApiKeyPrincipal {
  sub: string;
  tenant: string;
  roles: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * API_KEYS: comma-separated `sha256:<hex digest of the key>=<sub>[@<tenant>][#<role>+<role>]`.
 * Only digests are configured, so the keys themselves appear in no file or log.
 * (`npm run token -- --api-key --sub svc` makes a key and prints its entry.)
 */
export function parseApiKeys(value: string | undefined): Map<string, ApiKeyPrincipal> {
  const keys = new Map<string, ApiKeyPrincipal>();
  if (!value) return keys;
  for (const [i, raw] of value.split(',').entries()) {
    const entry = raw.trim();
    if (!entry) continue;
    const match = /^sha256:([^=]+)=([^@#]+)(?:@([^#]+))?(?:#(.+))?$/.exec(entry);
    if (!match || !SHA256.test(match[1])) {
      throw new Error(`entry ${i + 1} must look like sha256:<64 hex digits>=<sub>[@tenant][#role+role]`);
    }
    keys.set(match[1], {
      sub: match[2].trim(),
      tenant: match[3]?.trim() || 'default',
      roles: match[4] ? match[4].split('+').map((r) => r.trim()).filter(Boolean) : [],
    });
  }
  return keys;
}
