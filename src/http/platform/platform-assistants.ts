import { randomUUID } from 'node:crypto';
import { HttpException, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { Principal } from '@riser/auth';
import { AssistantStore, CronStore, type AssistantFields, type AssistantRecord, type AssistantVersionRecord } from '@riser/persistence';
import { GraphRegistry, RunError, RunErrorCode, ThreadService, type RegisteredGraph } from '@riser/run-core';
import { assistantIdOf } from './platform-shapes.js';
import type { assistantCreateSchema, assistantPatchSchema } from './assistants.schemas.js';

/** What a run needs of the assistant it names. */
export interface ResolvedAssistant {
  assistantId: string;
  graphId: string;
  config: { tags?: string[]; recursion_limit?: number; configurable?: Record<string, unknown> };
  context: Record<string, unknown>;
  /** A graph of langgraph.json (or the demo agent): everyone's, read-only. */
  system: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYSTEM_METADATA = { created_by: 'system' };

/**
 * Assistants as the Platform API has them: the graphs of langgraph.json are system
 * assistants every tenant sees (read-only, ids as the official server derives them), and a
 * tenant creates its own from them — with their own config, context and metadata, versioned,
 * stored in Postgres and invisible to every other tenant.
 */
@Injectable()
export class PlatformAssistants {
  private readonly createdAt = new Date().toISOString();

  constructor(
    private readonly graphs: GraphRegistry,
    private readonly store: AssistantStore,
    private readonly crons: CronStore,
    private readonly threads: ThreadService,
  ) {}

  /** The assistant an `assistant_id` names for this principal: a graph id, a system assistant's UUID, or one of its tenant's. */
  async resolve(principal: Principal, assistantId: string): Promise<ResolvedAssistant> {
    const graph = this.system(assistantId);
    if (graph) return { assistantId: assistantIdOf(graph.graphId), graphId: graph.graphId, config: {}, context: {}, system: true };
    const stored = await this.stored(principal, assistantId);
    return { assistantId: stored.assistantId, graphId: stored.graphId, config: stored.config, context: stored.context, system: false };
  }

  /** The assistant in the API's shape. */
  async get(principal: Principal, assistantId: string) {
    const graph = this.system(assistantId);
    return graph ? this.systemShape(graph) : toStoredShape(await this.stored(principal, assistantId));
  }

  async create(principal: Principal, body: z.infer<typeof assistantCreateSchema>) {
    this.graph(body.graph_id);
    const assistantId = body.assistant_id ?? randomUUID();
    if (this.system(assistantId)) throw new RunError(RunErrorCode.assistantExists, `assistant ${assistantId} already exists`);
    const fields: AssistantFields = {
      graphId: body.graph_id,
      name: body.name ?? body.graph_id,
      description: body.description ?? null,
      config: body.config ?? {},
      context: body.context ?? {},
      metadata: body.metadata ?? {},
    };
    const created = await this.store.create(principal.tenant, principal.sub, assistantId, fields);
    if (created) return toStoredShape(created);
    // Taken: by this tenant (do_nothing answers it), or by another (as if by anyone: never say whose).
    const existing = await this.store.get(principal.tenant, assistantId);
    if (existing && body.if_exists === 'do_nothing') return toStoredShape(existing);
    throw new RunError(RunErrorCode.assistantExists, `assistant ${assistantId} already exists`);
  }

  /** A new version with the fields given (metadata merged into the current one), made the latest. */
  async update(principal: Principal, assistantId: string, body: z.infer<typeof assistantPatchSchema>) {
    this.writable(assistantId);
    if (body.graph_id) this.graph(body.graph_id);
    const updated = await this.store.update(principal.tenant, assistantId, (current) => ({
      graphId: body.graph_id ?? current.graphId,
      name: body.name ?? current.name,
      description: body.description ?? current.description,
      config: body.config ?? current.config,
      context: body.context ?? current.context,
      metadata: body.metadata ? { ...current.metadata, ...body.metadata } : current.metadata,
    }));
    if (!updated) throw notFound(assistantId);
    return toStoredShape(updated);
  }

  /** Deletes the assistant, its versions and its crons; with `deleteThreads`, the caller's threads made with it. */
  async delete(principal: Principal, assistantId: string, deleteThreads: boolean): Promise<string[]> {
    this.writable(assistantId);
    if (!(await this.store.delete(principal.tenant, assistantId))) throw notFound(assistantId);
    await this.crons.deleteForAssistant(principal.tenant, assistantId);
    if (deleteThreads) {
      for (;;) {
        const page = await this.threads.search(principal, { metadata: { assistant_id: assistantId }, limit: 100, offset: 0, sortBy: 'created_at', sortOrder: 'asc' });
        const idle = page.filter((t) => t.status !== 'busy');
        for (const thread of idle) await this.threads.delete(principal, thread.threadId);
        if (page.length < 100 || !idle.length) break;
      }
    }
    return [assistantId];
  }

  async versions(principal: Principal, assistantId: string, page: { limit: number; offset: number; metadata?: Record<string, unknown> }) {
    const graph = this.system(assistantId);
    if (graph) {
      const { updated_at: _updated, ...version } = this.systemShape(graph);
      return page.offset === 0 && matches(version.metadata, page.metadata) ? [version] : [];
    }
    await this.stored(principal, assistantId);
    return (await this.store.versions(principal.tenant, assistantId, page)).map(toVersionShape);
  }

  async setLatest(principal: Principal, assistantId: string, version: number) {
    this.writable(assistantId);
    const result = await this.store.setLatest(principal.tenant, assistantId, version);
    if (!result) throw notFound(assistantId);
    if (result === 'no_version') throw new RunError(RunErrorCode.assistantNotFound, `assistant ${assistantId} has no version ${version}`, { field: 'version' });
    return toStoredShape(result);
  }

  /**
   * System assistants first (those matching), then the tenant's own, sorted as asked; one
   * page over both.
   */
  async search(principal: Principal, query: { graph_id?: string; name?: string; metadata?: Record<string, unknown>; limit: number; offset: number; sort_by?: string; sort_order?: 'asc' | 'desc' }) {
    const system = this.matchingSystem(query);
    const fromSystem = system.slice(query.offset, query.offset + query.limit);
    const limit = query.limit - fromSystem.length;
    const stored = limit
      ? await this.store.search(principal.tenant, {
          graphId: query.graph_id,
          name: query.name,
          metadata: query.metadata,
          limit,
          offset: Math.max(0, query.offset - system.length),
          sortBy: query.sort_by,
          sortOrder: query.sort_order,
        })
      : [];
    return [...fromSystem, ...stored.map(toStoredShape)];
  }

  async count(principal: Principal, query: { graph_id?: string; name?: string; metadata?: Record<string, unknown> }): Promise<number> {
    const stored = await this.store.count(principal.tenant, { graphId: query.graph_id, name: query.name, metadata: query.metadata });
    return this.matchingSystem(query).length + stored;
  }

  private matchingSystem(query: { graph_id?: string; name?: string; metadata?: Record<string, unknown> }) {
    return this.graphs
      .list()
      .filter((g) => (!query.graph_id || g.graphId === query.graph_id) && (!query.name || g.graphId.toLowerCase().includes(query.name.toLowerCase())))
      .map((g) => this.systemShape(g))
      .filter((a) => matches(a.metadata, query.metadata));
  }

  private systemShape(graph: RegisteredGraph) {
    return {
      assistant_id: assistantIdOf(graph.graphId),
      graph_id: graph.graphId,
      name: graph.graphId,
      description: graph.source === 'built-in' ? "Riser's demo agent" : null,
      // The graph's LANGGRAPH_CONFIG defaults, which every run of it starts from.
      config: graph.defaults.config,
      context: graph.defaults.context ?? {},
      metadata: SYSTEM_METADATA,
      version: 1,
      created_at: this.createdAt,
      updated_at: this.createdAt,
    };
  }

  private system(assistantId: string): RegisteredGraph | undefined {
    if (this.graphs.has(assistantId)) return this.graphs.list().find((g) => g.graphId === assistantId);
    return UUID.test(assistantId) ? this.graphs.list().find((g) => assistantIdOf(g.graphId) === assistantId.toLowerCase()) : undefined;
  }

  private async stored(principal: Principal, assistantId: string): Promise<AssistantRecord> {
    const found = UUID.test(assistantId) ? await this.store.get(principal.tenant, assistantId.toLowerCase()) : undefined;
    if (!found) throw notFound(assistantId);
    return found;
  }

  private graph(graphId: string): void {
    if (!this.graphs.has(graphId)) {
      throw new HttpException({ error: 'invalid_request', message: `graph_id: no graph "${graphId}" (the graphs of langgraph.json and "agent")`, field: 'graph_id' }, 422);
    }
  }

  /** System assistants are the deployment's: they change with langgraph.json, not through the API. */
  private writable(assistantId: string): void {
    if (this.system(assistantId)) {
      throw new RunError(RunErrorCode.assistantReadOnly, `assistant ${assistantId} is a graph of langgraph.json and cannot be changed; create an assistant from it (POST /assistants)`);
    }
  }
}

function notFound(assistantId: string): RunError {
  return new RunError(RunErrorCode.assistantNotFound, `no assistant "${assistantId}"`);
}

function matches(metadata: Record<string, unknown>, filter: Record<string, unknown> | undefined): boolean {
  return !filter || Object.entries(filter).every(([k, v]) => JSON.stringify(metadata[k]) === JSON.stringify(v));
}

function toVersionShape(version: AssistantVersionRecord) {
  return {
    assistant_id: version.assistantId,
    graph_id: version.graphId,
    name: version.name,
    description: version.description,
    config: version.config,
    context: version.context,
    metadata: version.metadata,
    version: version.version,
    created_at: version.createdAt.toISOString(),
  };
}

function toStoredShape(assistant: AssistantRecord) {
  return { ...toVersionShape(assistant), updated_at: assistant.updatedAt.toISOString() };
}

/**
 * A run body with its assistant's config and context under it, as the official server
 * merges them: the run's config wins key by key, `configurable` and `context` are merged.
 */
export function withAssistantDefaults<B extends { config?: Record<string, unknown> | null; context?: Record<string, unknown> | null }>(assistant: ResolvedAssistant, body: B): B {
  if (assistant.system) return body;
  const config = { ...assistant.config, ...body.config, configurable: { ...assistant.config.configurable, ...(body.config?.configurable as Record<string, unknown> | undefined) } };
  return { ...body, config, context: { ...assistant.context, ...body.context } };
}
