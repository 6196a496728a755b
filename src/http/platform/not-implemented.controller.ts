import { All, Controller, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RunError, RunErrorCode } from '@riser/run-core';

const RUNS = ['runs/crons', 'runs/crons/search', 'runs/crons/count', 'runs/crons/:cron_id', 'threads/:thread_id/runs/crons', 'runs/batch', 'runs/cancel', 'runs'];
const STORE = ['store/items', 'store/items/search', 'store/namespaces'];
const PROTOCOLS = ['a2a/:assistant_id', 'mcp', 'mcp/:path'];
const ASSISTANTS = ['assistants', 'assistants/count', 'assistants/:assistant_id/versions', 'assistants/:assistant_id/latest'];
const THREADS = ['threads/count', 'threads/prune', 'threads/:thread_id/copy', 'threads/:thread_id/stream'];

/** Every path answered `not_implemented` (on every method), for the API document. */
export const NOT_IMPLEMENTED_PATHS = [...RUNS, ...STORE, ...PROTOCOLS, ...ASSISTANTS, ...THREADS].map((path) => `/${path}`);

/**
 * Parts of the LangGraph Platform API Riser does not implement answer 404 with the code
 * `not_implemented` and what is missing — never a 500, never a silent success.
 */
@Controller()
export class NotImplementedController {
  @All(RUNS)
  runs(@Req() req: FastifyRequest) {
    return this.refuse(req, /crons/.test(req.url) ? 'crons' : 'this runs route');
  }

  @All(STORE)
  store(@Req() req: FastifyRequest) {
    return this.refuse(req, 'the store');
  }

  @All(PROTOCOLS)
  protocols(@Req() req: FastifyRequest) {
    return this.refuse(req, /mcp/.test(req.url) ? 'MCP' : 'A2A');
  }

  @All(ASSISTANTS)
  assistants(@Req() req: FastifyRequest) {
    return this.refuse(req, 'managing assistants (one assistant per graph of langgraph.json)');
  }

  @All(THREADS)
  threads(@Req() req: FastifyRequest) {
    return this.refuse(req, 'this threads route');
  }

  private refuse(req: FastifyRequest, what: string): never {
    throw new RunError(RunErrorCode.notImplemented, `${what} is not implemented by Riser (${req.method} ${req.url.split('?')[0]})`);
  }
}
