import { WebSocket } from 'ws';

export type WsFrame = Record<string, any>;

export interface ChatWsClient {
  ws: WebSocket;
  /** Every frame received so far, parsed, in order. */
  frames: WsFrame[];
  send(message: unknown): void;
  /** The first frame (already received, or to come) that matches. */
  waitFor(match: (frame: WsFrame) => boolean, timeoutMs?: number): Promise<WsFrame>;
  /** Resolves with the close code and reason once the connection has closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export interface ChatWsOptions {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** Subprotocols to offer, e.g. `['riser', 'bearer.<jwt>']` as a browser would. */
  protocols?: string[];
  headers?: Record<string, string>;
}

/**
 * Connects to `/chat/ws` (the seed's plain WebSocket) with the `ws` library, as a
 * non-browser client does; rejects with `{status, body}` when the upgrade is refused.
 */
export function connectChatWs(baseUrl: string, options: ChatWsOptions = {}, path = '/chat/ws'): Promise<ChatWsClient> {
  const url = baseUrl.replace(/^http/, 'ws') + path;
  const headers = { ...options.headers, ...(options.token && { authorization: `Bearer ${options.token}` }) };
  const ws = new WebSocket(url, options.protocols ?? [], { headers });
  const frames: WsFrame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of [...waiters]) wake();
    }),
  );
  const client: ChatWsClient = {
    ws,
    frames,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    close: () => ws.close(),
    waitFor(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(match);
          if (found) return done(() => resolve(found));
          if (ws.readyState === WebSocket.CLOSED) return done(() => reject(new Error(`closed before a matching frame (${frames.length} frames)`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no matching frame within ${timeoutMs} ms (${frames.length} frames)`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: body && JSON.parse(body) })));
    });
    ws.once('error', reject);
  });
}
