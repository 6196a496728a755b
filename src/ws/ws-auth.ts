import type { Socket } from 'socket.io';
import { AuthError, type TokenVerifier } from '@riser/auth';
import { isExpired } from './socket-session.js';

/**
 * Handshake middleware: a connection exists only for a verified token, from `auth.token`
 * or an `Authorization: Bearer` header. Anything else is refused with a `connect_error`
 * whose message is `unauthorized` (the reason is in `err.data`).
 */
export function handshakeAuth(verifier: TokenVerifier, onRefused: (socket: Socket, message: string) => void = () => undefined) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const header = socket.handshake.headers.authorization;
    const token = typeof fromAuth === 'string' ? fromAuth : /^Bearer (.+)$/i.exec(header ?? '')?.[1];
    verifier
      .verify(token)
      .then((principal) => {
        // The verification leeway is for clocks apart, not for opening a socket that would
        // be ended at once: a token past its exp is refused here.
        if (isExpired(principal)) throw new AuthError('token expired');
        return principal;
      })
      .then(
        (principal) => {
          socket.data.principal = principal;
          next();
        },
        (err: Error) => {
          onRefused(socket, err.message);
          const refused = new Error('unauthorized') as Error & { data?: unknown };
          refused.data = { code: 'unauthorized', message: err.message };
          next(refused);
        },
      );
  };
}
