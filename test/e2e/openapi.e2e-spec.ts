import { createHash } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { startRiser, type RiserTestApp } from '@riser/testing';
import { createRiser } from '../../src/riser.js';
import { openApiPath } from '../../src/http/openapi/openapi-document.js';
import { servedRoutes } from '../../src/http/openapi/route-catalog.js';
import { CONSOLE_ASSETS } from '../../src/http/console/console-assets.js';
import { CONSOLE_CSP } from '../../src/http/console/console.controller.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

describe('the API document: GET /openapi.json and /docs', () => {
  let riser: RiserTestApp;
  let fastify: FastifyInstance;
  let document: any;

  beforeAll(async () => {
    riser = await startRiser({
      create: async (env) => {
        const app = await createRiser(env);
        fastify = app.app.getHttpAdapter().getInstance();
        return app;
      },
    });
    const response = await fetch(`${riser.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(() => riser.destroy());

  it('is public, a valid OpenAPI 3.1 document, and /docs shows it without a CDN', async () => {
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
    expect(document.openapi).toBe('3.1.0');
    const page = await fetch(`${riser.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/https?:\/\//);
    // The API's CSP lets nothing load; the page's own lets Swagger UI load its files from here
    // and run its init script by hash, still never framed, with the other security headers.
    const csp = page.headers.get('content-security-policy')!;
    const init = /<script>([^<]*)<\/script>/.exec(html)![1];
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(init).digest('base64')}'`);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).not.toContain(',');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    for (const asset of ['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js']) {
      const response = await fetch(`${riser.url}${asset}`);
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('serves the console: public, no CDN, its own CSP (no inline script or style), only its own files', async () => {
    const page = await fetch(`${riser.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const referenced = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]);
    expect(referenced).toEqual(expect.arrayContaining(['/console/console.css', '/console/app.js']));
    for (const asset of [...Object.keys(CONSOLE_ASSETS).map((name) => `/console/${name}`)]) {
      const response = await fetch(`${riser.url}${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      const text = await response.text();
      // Every module the page imports is one Riser serves.
      for (const [, imported] of text.matchAll(/from\s*['"]\.\/([^'"]+)['"]/g)) expect(Object.keys(CONSOLE_ASSETS)).toContain(imported);
    }
    expect((await fetch(`${riser.url}/console/socket.io.esm.min.js`)).headers.get('content-type')).toContain('javascript');
    const unknown = await fetch(`${riser.url}/console/..%2Fconsole.controller.ts`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
  });

  it('describes exactly the routes the router serves', () => {
    const served = new Set(servedRoutes(fastify).filter((r) => METHODS.has(r.method)).map((r) => `${r.method} ${openApiPath(r.url)}`));
    const documented = new Set(Object.entries(document.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    expect(served.size).toBeGreaterThan(40);
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
  });

  it('takes request shapes from the zod schemas the routes validate with, and names each route’s error codes', () => {
    const chat = document.paths['/chat/stream'].post;
    const body = chat.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['message', 'thread_id', 'assistant_id', 'on_disconnect', 'multitask_strategy', 'resume']));
    expect(body.properties.on_disconnect.enum).toEqual(['continue', 'cancel']);
    expect(body.properties.thread_id.pattern).toBe('^[A-Za-z0-9_.:-]{1,128}$');
    expect(chat.responses['200'].content).toHaveProperty('text/event-stream');
    expect(chat.responses['409'].content['application/json'].schema.allOf[1].properties.error.enum).toEqual(expect.arrayContaining(['thread_busy', 'already_decided']));
    expect(chat.responses['401'].description).toContain('unauthorized');
    expect(chat.responses['429'].description).toContain('too_many_runs');
    expect(chat.responses['429'].description).toContain('rate_limited');

    const decide = document.paths['/chat/threads/{thread_id}/approvals/{interrupt_id}'].post;
    expect(decide.requestBody.content['application/json'].schema.properties.decision.enum).toEqual(['approve', 'reject', 'edit']);
    expect(decide.parameters.map((p: any) => [p.name, p.in])).toEqual([['thread_id', 'path'], ['interrupt_id', 'path']]);

    // The Platform API answers validation errors 422, as its clients expect.
    expect(document.paths['/threads/{thread_id}/runs/stream'].post.responses['422'].description).toContain('invalid_request');
    expect(document.paths['/threads/{thread_id}/history'].get.parameters.find((p: any) => p.name === 'limit')).toMatchObject({ in: 'query', required: false });
    // Public routes need no credentials; the rest do.
    expect(document.paths['/health/ready'].get.security).toEqual([]);
    expect(document.paths['/threads/search'].post.security).toBeUndefined();
    expect(document.paths['/runs/batch'].post.responses['404'].description).toContain('not_implemented');
  });
});
