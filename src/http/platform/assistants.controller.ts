import { UseInterceptors, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { z } from 'zod';
import { getConfigTypeSchema, getInputTypeSchema, getOutputTypeSchema, getUpdateTypeSchema } from '@langchain/langgraph/zod/schema';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { GraphRegistry } from '@riser/run-core';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { assistantSearchSchema } from './platform.schemas.js';
import { PlatformAssistants } from './platform-assistants.js';
import {
  assistantCountSchema,
  assistantCreateSchema,
  assistantDeleteQuery,
  assistantLatestSchema,
  assistantPatchSchema,
  assistantVersionsSchema,
} from './assistants.schemas.js';
import { subgraphSchemas } from './subgraph-schemas.js';

/**
 * Assistants: one system assistant per registered graph, with the ids the official server
 * gives them, and the tenant's own (create, update as a new version, delete, versions,
 * latest), stored in Postgres (PlatformAssistants).
 */
@Controller('assistants')
@UseInterceptors(PlatformJsonInterceptor)
export class AssistantsController {
  constructor(
    private readonly graphs: GraphRegistry,
    private readonly assistants: PlatformAssistants,
  ) {}

  @Post()
  @HttpCode(200)
  create(@Body(new ZodPipe(assistantCreateSchema, 422)) body: z.infer<typeof assistantCreateSchema>, @CurrentPrincipal() principal: Principal) {
    return this.assistants.create(principal, body);
  }

  @Post('search')
  @HttpCode(200)
  search(@Body(new ZodPipe(assistantSearchSchema, 422)) body: z.infer<typeof assistantSearchSchema>, @CurrentPrincipal() principal: Principal) {
    return this.assistants.search(principal, body);
  }

  @Post('count')
  @HttpCode(200)
  count(@Body(new ZodPipe(assistantCountSchema, 422)) body: z.infer<typeof assistantCountSchema>, @CurrentPrincipal() principal: Principal) {
    return this.assistants.count(principal, body);
  }

  @Get(':assistant_id')
  get(@Param('assistant_id') assistantId: string, @CurrentPrincipal() principal: Principal) {
    return this.assistants.get(principal, assistantId);
  }

  /** A new version with the fields given, made the latest; metadata is merged. */
  @Patch(':assistant_id')
  update(
    @Param('assistant_id') assistantId: string,
    @Body(new ZodPipe(assistantPatchSchema, 422)) body: z.infer<typeof assistantPatchSchema>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.assistants.update(principal, assistantId, body);
  }

  /** Answers `[assistant_id]`, as the official server does. */
  @Delete(':assistant_id')
  delete(@Param('assistant_id') assistantId: string, @Query(new ZodPipe(assistantDeleteQuery, 422)) query: z.infer<typeof assistantDeleteQuery>, @CurrentPrincipal() principal: Principal) {
    return this.assistants.delete(principal, assistantId, query.delete_threads === 'true' || query.delete_threads === '1');
  }

  @Post(':assistant_id/versions')
  @HttpCode(200)
  versions(
    @Param('assistant_id') assistantId: string,
    @Body(new ZodPipe(assistantVersionsSchema, 422)) body: z.infer<typeof assistantVersionsSchema>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.assistants.versions(principal, assistantId, body);
  }

  @Post(':assistant_id/latest')
  @HttpCode(200)
  setLatest(
    @Param('assistant_id') assistantId: string,
    @Body(new ZodPipe(assistantLatestSchema, 422)) body: z.infer<typeof assistantLatestSchema>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.assistants.setLatest(principal, assistantId, body.version);
  }

  /** The graph's nodes and edges, as LangGraph draws it. */
  @Get(':assistant_id/graph')
  async graph(@Param('assistant_id') assistantId: string, @CurrentPrincipal() principal: Principal) {
    const graph = await this.graphs.get((await this.assistants.resolve(principal, assistantId)).graphId);
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
  async schemas(@Param('assistant_id') assistantId: string, @CurrentPrincipal() principal: Principal) {
    const { graphId } = await this.assistants.resolve(principal, assistantId);
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
  async subgraphs(
    @Param('assistant_id') assistantId: string,
    @Param('namespace') namespace: string | undefined,
    @Query('recurse') recurse: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    const graph = await this.graphs.get((await this.assistants.resolve(principal, assistantId)).graphId);
    return subgraphSchemas(graph, namespace, recurse === 'true' || recurse === '1');
  }

}
