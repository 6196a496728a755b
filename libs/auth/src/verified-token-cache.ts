import type { Principal } from './principal.js';

const MAX_ENTRIES = 10_000;
/** A verified token is trusted again for at most this long (and never past its `exp`). */
const MAX_AGE_MS = 5 * 60_000;

/**
 * Tokens already verified, by their full text (signature included, so a forged or altered
 * token never matches). Clients send the same token on every request: verifying it once
 * saves the HMAC/RSA check and the JSON parsing (~100 µs per request measured) without
 * trusting it past its expiry. Bounded, oldest first out.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  get(token: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  set(token: string, principal: Principal, now = Date.now()): void {
    const expires = principal.expiresAt !== undefined ? principal.expiresAt * 1000 : Infinity;
    const until = Math.min(expires, now + MAX_AGE_MS);
    if (until <= now) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal, until });
  }
}
