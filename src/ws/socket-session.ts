import type { Socket } from 'socket.io';
import { hasRole, type Principal } from '@riser/auth';

export const userRoom = (tenant: string, sub: string) => `user:${encodeURIComponent(tenant)}:${encodeURIComponent(sub)}`;
export const approverRoom = (tenant: string) => `approvers:${encodeURIComponent(tenant)}`;

/** setTimeout's longest delay (~24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** True once the credential's `exp` has passed: no leeway for a socket already holding it. */
export function isExpired(principal: Principal, now = Date.now()): boolean {
  return principal.expiresAt !== undefined && principal.expiresAt * 1000 <= now;
}

/**
 * Who a socket is, for as long as its token lasts: the principal, the rooms that principal
 * belongs in (its own, and its tenant's approvers while it has the role), and a timer that
 * ends the socket at the token's `exp`. A refreshed token replaces all three, so a token
 * with fewer roles leaves the rooms it no longer belongs in.
 */
export class SocketSession {
  private rooms: string[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly approverRole: string,
    private readonly onExpired: () => void,
  ) {}

  assume(principal: Principal): void {
    const rooms = [userRoom(principal.tenant, principal.sub)];
    if (hasRole(principal, this.approverRole)) rooms.push(approverRoom(principal.tenant));
    for (const room of this.rooms) if (!rooms.includes(room)) void this.socket.leave(room);
    void this.socket.join(rooms);
    this.rooms = rooms;
    (this.socket.data as { principal: Principal }).principal = principal;
    this.arm(principal);
  }

  /** Leaves every room and stops the timer: nothing more reaches the socket through it. */
  end(): void {
    clearTimeout(this.timer);
    for (const room of this.rooms) void this.socket.leave(room);
    this.rooms = [];
  }

  private arm(principal: Principal): void {
    clearTimeout(this.timer);
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
}
