import { Controller, Get, HttpException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AllowQueryToken } from '@riser/auth';

/**
 * `GET /chat/ws` without `Upgrade: websocket` (a browser tab, curl, a probe): 426 with
 * `Upgrade: websocket`, after the same authentication the upgrade needs. Upgrades never
 * reach this route: ChatWsServer takes them off the HTTP server first.
 */
@Controller('chat/ws')
export class ChatWsController {
  @Get()
  @AllowQueryToken()
  upgradeRequired(@Res({ passthrough: true }) reply: FastifyReply): never {
    reply.header('upgrade', 'websocket');
    throw new HttpException({ error: 'upgrade_required', message: '/chat/ws is a WebSocket: connect with a WebSocket client (Upgrade: websocket)' }, 426);
  }
}
