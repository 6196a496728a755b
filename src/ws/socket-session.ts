import type { Socket } from 'socket.io';
import { hasRole, type Principal } from '@riser/auth';
import { ExpiryTimer } from './token-expiry.js';

export { isExpired } from './token-expiry.js';

export const userRoom = (tenant: string, sub: string) => `user:${encodeURIComponent(tenant)}:${encodeURIComponent(sub)}`;
export const approverRoom = (tenant: string) => `approvers:${encodeURIComponent(tenant)}`;

/**
 * Who a socket is, for as long as its token lasts: the principal, the rooms that principal
 * belongs in (its own, and its tenant's approvers while it has the role), and a timer that
 * ends the socket at the token's `exp`. A refreshed token replaces all three, so a token
 * with fewer roles leaves the rooms it no longer belongs in.
 */
export class SocketSession {
  private rooms: string[] = [];
  private readonly expiry: ExpiryTimer;

  constructor(
    private readonly socket: Socket,
    private readonly approverRole: string,
    onExpired: () => void,
  ) {
    this.expiry = new ExpiryTimer(onExpired);
  }

  assume(principal: Principal): void {
    const rooms = [userRoom(principal.tenant, principal.sub)];
    if (hasRole(principal, this.approverRole)) rooms.push(approverRoom(principal.tenant));
    for (const room of this.rooms) if (!rooms.includes(room)) void this.socket.leave(room);
    void this.socket.join(rooms);
    this.rooms = rooms;
    (this.socket.data as { principal: Principal }).principal = principal;
    this.expiry.arm(principal);
  }

  /** Leaves every room and stops the timer: nothing more reaches the socket through it. */
  end(): void {
    this.expiry.clear();
    for (const room of this.rooms) void this.socket.leave(room);
    this.rooms = [];
  }
}
