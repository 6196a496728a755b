import { UseInterceptors, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { z } from 'zod';
import { GraphRegistry } from '@riser/run-core';
import { ZodPipe } from '../validation/zod.pipe.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { PlatformRuns } from './platform-runs.js';
import { toAssistant } from './platform-shapes.js';
import { assistantSearchSchema } from './platform.schemas.js';

/** One assistant per registered graph, with the ids the official server gives them. */
@Controller('assistants')
@UseInterceptors(PlatformJsonInterceptor)
export class AssistantsController {
  private readonly createdAt = new Date().toISOString();

  constructor(
    private readonly graphs: GraphRegistry,
    private readonly platform: PlatformRuns,
  ) {}

  @Post('search')
  @HttpCode(200)
  search(@Body(new ZodPipe(assistantSearchSchema, 422)) body: z.infer<typeof assistantSearchSchema>) {
    return this.graphs
      .list()
      .filter((g) => (!body.graph_id || g.graphId === body.graph_id) && (!body.name || g.graphId === body.name))
      .map((g) => toAssistant(g, this.createdAt))
      .filter((a) => !body.metadata || Object.entries(body.metadata).every(([k, v]) => (a.metadata as Record<string, unknown>)[k] === v))
      .slice(body.offset, body.offset + body.limit);
  }

  @Get(':assistant_id')
  get(@Param('assistant_id') assistantId: string) {
    return toAssistant(this.registered(assistantId), this.createdAt);
  }

  /** The graph's nodes and edges, as LangGraph draws it. */
  @Get(':assistant_id/graph')
  async graph(@Param('assistant_id') assistantId: string) {
    const graph = await this.graphs.get(this.platform.graphId(assistantId));
    const drawable = await graph.getGraphAsync({});
    return drawable.toJSON();
  }

  /**
   * JSON schemas of the graph's input, output, state and config. Riser does not derive them
   * from source as `langgraph dev` does; graphs built from zod state schemas could provide
   * them, Annotation-based ones cannot: the fields are null, as the SDK's types allow.
   */
  @Get(':assistant_id/schemas')
  schemas(@Param('assistant_id') assistantId: string) {
    const graph = this.registered(assistantId);
    return { graph_id: graph.graphId, input_schema: null, output_schema: null, state_schema: null, config_schema: null, context_schema: null };
  }

  @Get(':assistant_id/subgraphs')
  subgraphs(@Param('assistant_id') assistantId: string) {
    this.registered(assistantId);
    return {};
  }

  private registered(assistantId: string) {
    const graphId = this.platform.graphId(assistantId);
    return this.graphs.list().find((g) => g.graphId === graphId)!;
  }
}
