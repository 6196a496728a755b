import { UseInterceptors, Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { z } from 'zod';
import { getConfigTypeSchema, getInputTypeSchema, getOutputTypeSchema, getUpdateTypeSchema } from '@langchain/langgraph/zod/schema';
import { GraphRegistry } from '@riser/run-core';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { PlatformRuns } from './platform-runs.js';
import { toAssistant } from './platform-shapes.js';
import { assistantSearchSchema } from './platform.schemas.js';
import { subgraphSchemas } from './subgraph-schemas.js';

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
   * JSON schemas of the graph's input, output, state (its update type, as the official
   * server answers) and config, from the graph's zod schemas at runtime. The official dev
   * server also parses TypeScript source for Annotation-based graphs; Riser does not, so
   * their fields are null, as the SDK's types allow. JS cannot tell config from context:
   * `context_schema` repeats `config_schema`, as in the official server.
   */
  @Get(':assistant_id/schemas')
  async schemas(@Param('assistant_id') assistantId: string) {
    const graphId = this.platform.graphId(assistantId);
    const graph = await this.graphs.get(graphId);
    const schema = (read: (g: unknown) => unknown) => {
      try {
        return read(graph) ?? null;
      } catch {
        return null;
      }
    };
    const config = schema(getConfigTypeSchema);
    return {
      graph_id: graphId,
      input_schema: schema(getInputTypeSchema),
      output_schema: schema(getOutputTypeSchema),
      state_schema: schema(getUpdateTypeSchema),
      config_schema: config,
      context_schema: config,
    };
  }

  @Get([':assistant_id/subgraphs', ':assistant_id/subgraphs/:namespace'])
  async subgraphs(@Param('assistant_id') assistantId: string, @Param('namespace') namespace: string | undefined, @Query('recurse') recurse: string | undefined) {
    const graph = await this.graphs.get(this.platform.graphId(assistantId));
    return subgraphSchemas(graph, namespace, recurse === 'true' || recurse === '1');
  }

  private registered(assistantId: string) {
    const graphId = this.platform.graphId(assistantId);
    return this.graphs.list().find((g) => g.graphId === graphId)!;
  }
}
