import type { IncomingMessage } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyVerifier, AuthError, TokenVerifier, type Principal } from '@riser/auth';
import { refusalReason } from '../../metrics/auth-refusal.js';
import { RiserMetrics } from '../../metrics/riser-metrics.js';
import { isExpired } from '../token-expiry.js';

/** The subprotocol a browser offers with its token (`riser, bearer.<jwt>`), and the one selected. */
export const SUBPROTOCOL = 'riser';
const BEARER_PROTOCOL = 'bearer.';

/**
 * Who opens a `/chat/ws` connection, from its upgrade request, before the handshake
 * completes: an API key (`x-api-key`, when no Authorization is sent, as on HTTP), a bearer
 * token in `Authorization`, or — for browsers, whose WebSocket cannot set headers — a
 * `bearer.<jwt>` offer in `Sec-WebSocket-Protocol` next to `riser` (the server selects
 * `riser`, never echoing the token). `access_token` in the query is accepted as the rejoin
 * GET accepts it, never required. Tokens go through the same verifier as every other door;
 * one already past its `exp` is refused (no leeway for a connection that would end at once).
 * Refusals are counted and logged by reason, never with the credential.
 */
@Injectable()
export class ChatWsAuth {
  private readonly logger = new Logger('ChatWs');

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly apiKeys: ApiKeyVerifier,
    private readonly metrics: RiserMetrics,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Principal> {
    try {
      const apiKey = req.headers['x-api-key'];
      if (typeof apiKey === 'string' && apiKey && this.apiKeys.enabled && !req.headers.authorization) return this.apiKeys.verify(apiKey);
      const principal = await this.verifier.verify(tokenOf(req));
      if (isExpired(principal)) throw new AuthError('token expired');
      return principal;
    } catch (err) {
      const message = err instanceof AuthError ? err.message : 'invalid token';
      const reason = refusalReason(message);
      this.metrics.authRefusals.inc({ reason });
      this.logger.warn({ msg: 'websocket upgrade refused', reason, detail: message, ip: req.socket.remoteAddress });
      throw new AuthError(message);
    }
  }
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (header) return header;
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const fromProtocol = offered.find((p) => p.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length);
  if (fromProtocol) return fromProtocol;
  const query = new URL(req.url ?? '/', 'http://riser').searchParams.get('access_token');
  return query || undefined;
}
