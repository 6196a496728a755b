import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@riser/auth';
import { version } from '../platform/meta.controller.js';
import { buildOpenApiDocument } from './openapi-document.js';

const requireHere = createRequire(import.meta.url);
const asset = (name: string) => readFileSync(requireHere.resolve(`swagger-ui-dist/${name}`));

const INIT = `SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;
const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Riser API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>${INIT}</script></body>
</html>`;

/**
 * The one page Riser serves for a browser: every other answer has the API's CSP
 * (`default-src 'none'`, src/http/security-headers.ts), under which Swagger UI could load
 * nothing. This one lets it load its own files from here, run its init script (by hash, no
 * `unsafe-inline` script), style its elements and fetch /openapi.json; still never framed.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash('sha256').update(INIT).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `GET /openapi.json` (OpenAPI 3.1, built once from the route table and its zod schemas)
 * and `GET /docs` (Swagger UI, served from the installed `swagger-ui-dist`, no CDN). Public,
 * like health: they describe the API, not anyone's data.
 */
@Controller()
@Public()
export class DocsController {
  private document?: Record<string, unknown>;
  private readonly assets = new Map<string, Buffer>();

  @Get('openapi.json')
  openApi() {
    this.document ??= buildOpenApiDocument(version);
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DOCS_CSP)
  page() {
    return PAGE;
  }

  @Get('docs/swagger-ui.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=86400')
  css() {
    return this.asset('swagger-ui.css');
  }

  @Get('docs/swagger-ui-bundle.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'public, max-age=86400')
  script() {
    return this.asset('swagger-ui-bundle.js');
  }

  private asset(name: string): Buffer {
    let content = this.assets.get(name);
    if (!content) this.assets.set(name, (content = asset(name)));
    return content;
  }
}
