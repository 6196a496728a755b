// The `/chat` socket: approval events as they happen, and the token's expiry. Socket.IO's
// client is served by Riser itself (the server package's own build), never a CDN. The
// websocket transport only: with several replicas behind a proxy, long-polling would need
// sticky sessions.

import { io } from './socket.io.esm.min.js';

export class Live {
  /** `handlers`: requested(payload), decided(payload), connected(first), lost(reason), expired(message), refused(message). */
  constructor(token, handlers) {
    this.handlers = handlers;
    this.everConnected = false;
    this.socket = io('/chat', { auth: { token }, transports: ['websocket'], reconnectionDelayMax: 3000 });
    this.socket.on('connect', () => {
      handlers.connected(!this.everConnected);
      this.everConnected = true;
    });
    this.socket.on('disconnect', (reason) => {
      // The server ends the socket itself at the token's expiry (after `auth.expired`).
      if (reason !== 'io server disconnect' && reason !== 'io client disconnect') handlers.lost(reason);
    });
    this.socket.on('connect_error', (err) => {
      if (err.message === 'unauthorized') handlers.refused(err.data?.message ?? err.message);
      else handlers.lost(err.message);
    });
    this.socket.on('approval.requested', (payload) => handlers.requested(payload));
    this.socket.on('approval.decided', (payload) => handlers.decided(payload));
    this.socket.on('auth.expired', (payload) => handlers.expired(payload?.message ?? 'the token expired'));
  }

  close() {
    this.socket.close();
  }
}
