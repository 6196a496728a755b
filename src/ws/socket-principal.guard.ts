import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AuthError, type Principal } from '@riser/auth';
import { isExpired } from './socket-session.js';

function principalOf(socket: Socket): Principal {
  const principal = (socket.data as { principal?: Principal }).principal;
  if (!principal) throw new AuthError('not authenticated');
  if (isExpired(principal)) throw new AuthError('token expired');
  return principal;
}

/**
 * The socket side of "JWT guards protect both doors": every `@SubscribeMessage` handler of
 * a gateway carrying it runs only for a socket whose token is still valid (the handshake
 * middleware admitted it; this checks it has not expired since). Refusals are AuthErrors,
 * which the gateway's filter acks as `unauthorized`.
 */
@Injectable()
export class SocketPrincipalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'ws') return true;
    principalOf(context.switchToWs().getClient<Socket>());
    return true;
  }
}

/** The guarded socket's principal, as a handler parameter. */
export const SocketPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => principalOf(ctx.switchToWs().getClient<Socket>()));
