import { createHash } from 'node:crypto';

/** How an API key is kept in API_KEYS: its sha256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
