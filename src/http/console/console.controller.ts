import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, HttpException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '@riser/auth';
import { CONSOLE_ASSETS, consoleAssetParams, type ConsoleAsset } from './console-assets.js';

/** The page's files: src/http/console/public, copied next to this module by `npm run build`. */
const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
/** The Socket.IO client the server's own package ships (client-dist), so versions always match. */
const SOCKET_IO_CLIENT = join(dirname(createRequire(import.meta.url).resolve('socket.io/package.json')), 'client-dist', 'socket.io.esm.min.js');

/**
 * The console's CSP: scripts, styles and connections (fetch, and the socket's WebSocket:
 * CSP 3 lets `'self'` match ws:/wss: on the same host) from Riser only; no inline script or
 * style; never framed. Every other answer keeps the API's `default-src 'none'`.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `GET /console`: the approval console, a static page that does everything through the
 * public API (the simple protocol, the approval routes, the `/chat` socket). Public like
 * /docs: the page holds no data; it asks for a token before it shows anything.
 */
@Controller('console')
@Public()
export class ConsoleController {
  private readonly files = new Map<string, Buffer>();

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CONSOLE_CSP)
  @Header('cache-control', 'no-cache')
  page() {
    return this.file(join(PUBLIC_DIR, 'index.html'));
  }

  @Get(':asset')
  @Header('content-security-policy', CONSOLE_CSP)
  @Header('cache-control', 'no-cache')
  asset(@Param() params: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply) {
    // Only the files the page is made of (a fixed list, so no path ever reaches the disk from a URL).
    const parsed = consoleAssetParams.safeParse(params);
    if (!parsed.success) throw new HttpException({ error: 'not_found', message: `no console file ${params.asset}` }, 404);
    const name: ConsoleAsset = parsed.data.asset;
    reply.header('content-type', CONSOLE_ASSETS[name]);
    return this.file(name === 'socket.io.esm.min.js' ? SOCKET_IO_CLIENT : join(PUBLIC_DIR, name));
  }

  /** Read once: the files change only with a new build. */
  private file(path: string): Buffer {
    let content = this.files.get(path);
    if (!content) this.files.set(path, (content = readFileSync(path)));
    return content;
  }
}
