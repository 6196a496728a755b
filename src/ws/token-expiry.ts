import type { Principal } from '@riser/auth';

/** setTimeout's longest delay (~24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** True once the credential's `exp` has passed: no leeway for a socket already holding it. */
export function isExpired(principal: Principal, now = Date.now()): boolean {
  return principal.expiresAt !== undefined && principal.expiresAt * 1000 <= now;
}

/**
 * Calls `onExpired` at a credential's `exp` (at once when it has passed); a credential
 * without one (an API key) never expires. Each socket transport ends its connection with it.
 */
export class ExpiryTimer {
  private timer?: NodeJS.Timeout;

  constructor(private readonly onExpired: () => void) {}

  arm(principal: Principal): void {
    this.clear();
    if (principal.expiresAt === undefined) return;
    const left = principal.expiresAt * 1000 - Date.now();
    if (left <= 0) {
      this.onExpired();
      return;
    }
    // Re-armed in steps when the token outlives the longest timer.
    this.timer = setTimeout(() => this.arm(principal), Math.min(left, MAX_TIMER_MS));
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
