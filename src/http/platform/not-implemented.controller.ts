import { All, Controller, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RunError, RunErrorCode } from '@riser/run-core';

const RUNS = ['runs/batch', 'runs/cancel', 'runs'];
const PROTOCOLS = ['a2a/:assistant_id', 'mcp', 'mcp/:path', 'ui/:graph_id', 'ui/:graph_id/:file'];
const THREADS = ['threads/count', 'threads/prune', 'threads/:thread_id/stream'];

/** Every path answered `not_implemented` (on every method), for the API document. */
export const NOT_IMPLEMENTED_PATHS = [...RUNS, ...PROTOCOLS, ...THREADS].map((path) => `/${path}`);

/**
 * Parts of the LangGraph Platform API Riser does not implement answer 404 with the code
 * `not_implemented` and what is missing — never a 500, never a silent success.
 */
@Controller()
export class NotImplementedController {
  @All(RUNS)
  runs(@Req() req: FastifyRequest) {
    return this.refuse(req, 'this runs route');
  }

  @All(PROTOCOLS)
  protocols(@Req() req: FastifyRequest) {
    return this.refuse(req, /^\/mcp/.test(req.url) ? 'MCP' : /^\/ui\//.test(req.url) ? 'generative UI (langgraph.json "ui" bundles)' : 'A2A');
  }

  @All(THREADS)
  threads(@Req() req: FastifyRequest) {
    return this.refuse(req, 'this threads route');
  }

  private refuse(req: FastifyRequest, what: string): never {
    throw new RunError(RunErrorCode.notImplemented, `${what} is not implemented by Riser (${req.method} ${req.url.split('?')[0]})`);
  }
}
