import { All, Controller, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RunError, RunErrorCode } from '@riser/run-core';

/**
 * Parts of the LangGraph Platform API Riser does not implement answer 404 with the code
 * `not_implemented` and what is missing — never a 500, never a silent success.
 */
@Controller()
export class NotImplementedController {
  @All(['runs/crons', 'runs/crons/search', 'runs/crons/count', 'runs/crons/:cron_id', 'threads/:thread_id/runs/crons', 'runs/batch', 'runs/cancel', 'runs'])
  runs(@Req() req: FastifyRequest) {
    return this.refuse(req, /crons/.test(req.url) ? 'crons' : 'this runs route');
  }

  @All(['store/items', 'store/items/search', 'store/namespaces'])
  store(@Req() req: FastifyRequest) {
    return this.refuse(req, 'the store');
  }

  @All(['a2a/:assistant_id', 'mcp', 'mcp/:path'])
  protocols(@Req() req: FastifyRequest) {
    return this.refuse(req, /mcp/.test(req.url) ? 'MCP' : 'A2A');
  }

  @All(['assistants', 'assistants/count', 'assistants/:assistant_id/versions', 'assistants/:assistant_id/latest'])
  assistants(@Req() req: FastifyRequest) {
    return this.refuse(req, 'managing assistants (one assistant per graph of langgraph.json)');
  }

  @All(['threads/count', 'threads/prune', 'threads/:thread_id/copy', 'threads/:thread_id/stream'])
  threads(@Req() req: FastifyRequest) {
    return this.refuse(req, 'this threads route');
  }

  private refuse(req: FastifyRequest, what: string): never {
    throw new RunError(RunErrorCode.notImplemented, `${what} is not implemented by Riser (${req.method} ${req.url.split('?')[0]})`);
  }
}
