import 'reflect-metadata';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { MESSAGE_MAPPING_METADATA } from '@nestjs/websockets/constants';
import { AuthError } from '@riser/auth';
import { ChatGateway } from './chat.gateway.js';
import { SocketPrincipalGuard } from './socket-principal.guard.js';

const wsContext = (data: Record<string, unknown>) => {
  const host = new ExecutionContextHost([{ data }, {}, () => undefined]);
  host.setType('ws');
  return host;
};

describe('SocketPrincipalGuard', () => {
  const guard = new SocketPrincipalGuard();
  const now = Math.floor(Date.now() / 1000);

  it('lets a socket with a valid token through', () => {
    expect(guard.canActivate(wsContext({ principal: { sub: 'a', tenant: 't', roles: [], via: 'jwt', expiresAt: now + 60 } }))).toBe(true);
  });

  it.each([
    ['no principal', {}],
    ['a token past its exp', { principal: { sub: 'a', tenant: 't', roles: [], via: 'jwt', expiresAt: now - 1 } }],
  ])('refuses %s as unauthorized', (_name, data) => {
    expect(() => guard.canActivate(wsContext(data))).toThrow(AuthError);
  });

  it('guards every message handler of the gateway: one class-level guard, which a new handler cannot skip', () => {
    expect(Reflect.getMetadata(GUARDS_METADATA, ChatGateway)).toEqual([SocketPrincipalGuard]);
    const handlers = Object.getOwnPropertyNames(ChatGateway.prototype).filter((name) => {
      const method: unknown = Object.getOwnPropertyDescriptor(ChatGateway.prototype, name)?.value;
      return typeof method === 'function' && Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method);
    });
    expect(handlers).toEqual(expect.arrayContaining(['auth', 'chat', 'subscribe', 'unsubscribe', 'approve', 'cancel']));
  });
});
