import { existsSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Pregel } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { createDemoAgent } from '../demo/demo-agent.js';
import { RunError, RunErrorCode } from '../run-error.js';
import { RUN_CORE_OPTIONS, type RunCoreOptions } from '../run-core.options.js';
import { readGraphConfig } from './graph-config.js';
import { registerSdkLogger } from './graph-logger.js';

export type CompiledGraph = Pregel<any, any>;
type GraphFactory = (config: RunnableConfig) => CompiledGraph | Promise<CompiledGraph>;

/** A graph's defaults (LANGGRAPH_CONFIG): what the official server makes its system assistant's config and context. */
export interface GraphDefaults {
  config: { configurable?: Record<string, unknown>; tags?: string[]; recursion_limit?: number; metadata?: Record<string, unknown>; [key: string]: unknown };
  context?: Record<string, unknown>;
}

export interface RegisteredGraph {
  graphId: string;
  /** Where it came from: 'built-in' or the module path. */
  source: string;
  /** Its default config and context (LANGGRAPH_CONFIG), under every run's own. */
  defaults: GraphDefaults;
  load(config: RunnableConfig): Promise<CompiledGraph>;
}

export const DEFAULT_GRAPH = 'agent';

/**
 * The graphs Riser can run, by id: the built-in demo `agent` and those of a langgraph.json.
 * A compiled graph without a checkpointer gets Riser's Postgres one; a factory
 * `(config) => graph` is called for each run.
 */
@Injectable()
export class GraphRegistry implements OnModuleInit {
  private readonly logger = new Logger('GraphRegistry');
  private readonly graphs = new Map<string, RegisteredGraph>();

  constructor(
    @Inject(RUN_CORE_OPTIONS) private readonly options: RunCoreOptions,
    private readonly checkpointer: PostgresSaver,
  ) {}

  async onModuleInit(): Promise<void> {
    // Before any graph module is imported: some call getLogger() at import.
    registerSdkLogger();
    const demo = this.withCheckpointer(await createDemoAgent(this.options.demo));
    this.graphs.set(DEFAULT_GRAPH, { graphId: DEFAULT_GRAPH, source: 'built-in', defaults: this.defaultsOf(DEFAULT_GRAPH), load: async () => demo });
    const configPath = this.options.graphsConfigPath;
    if (configPath) {
      if (!existsSync(configPath)) throw new Error(`LANGGRAPH_JSON ${configPath} does not exist`);
      if (this.options.graphsConfigFrom === 'LANGGRAPH_CONFIG') {
        this.logger.warn(
          'LANGGRAPH_CONFIG as the path of langgraph.json is deprecated: set LANGGRAPH_JSON to the path; LANGGRAPH_CONFIG is JSON default configs per graph, as on the official server',
        );
      }
      for (const spec of await readGraphConfig(configPath)) {
        const exported = await this.importExport(spec.path, spec.exportName, spec.graphId);
        this.graphs.set(spec.graphId, { graphId: spec.graphId, source: spec.path, defaults: this.defaultsOf(spec.graphId), load: this.loader(exported, spec.graphId) });
        this.logger.log(`graph "${spec.graphId}" loaded from ${spec.path}`);
      }
    }
    const unknown = Object.keys(this.options.graphDefaults ?? {}).filter((id) => !this.graphs.has(id));
    if (unknown.length) this.logger.warn(`LANGGRAPH_CONFIG names graphs that are not served: ${unknown.join(', ')}`);
  }

  /** The graph's defaults (LANGGRAPH_CONFIG); empty for an unknown graph. */
  defaults(graphId: string): GraphDefaults {
    return this.graphs.get(graphId)?.defaults ?? { config: {} };
  }

  private defaultsOf(graphId: string): GraphDefaults {
    return this.options.graphDefaults?.[graphId] ?? { config: {} };
  }

  has(graphId: string): boolean {
    return this.graphs.has(graphId);
  }

  list(): RegisteredGraph[] {
    return [...this.graphs.values()];
  }

  /** The graph to run, with Riser's checkpointer; `assistant_not_found` when unknown. */
  async get(graphId: string, config: RunnableConfig = {}): Promise<CompiledGraph> {
    const graph = this.graphs.get(graphId);
    if (!graph) throw new RunError(RunErrorCode.assistantNotFound, `no assistant "${graphId}"`);
    return graph.load(config);
  }

  private async importExport(path: string, exportName: string, graphId: string): Promise<unknown> {
    let mod: Record<string, unknown>;
    try {
      // An absolute path (not a file: URL) loads under Node's ESM and under Jest's CommonJS.
      mod = await import(path);
    } catch (err) {
      throw new Error(`graph "${graphId}": cannot import ${path}: ${(err as Error).message}`);
    }
    const value = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
    if (value === undefined) throw new Error(`graph "${graphId}": ${path} has no export "${exportName}"`);
    return value;
  }

  private loader(exported: unknown, graphId: string): RegisteredGraph['load'] {
    if (isCompiled(exported)) {
      const graph = this.withCheckpointer(exported);
      return async () => graph;
    }
    if (isUncompiled(exported)) {
      const graph = this.withCheckpointer(exported.compile());
      return async () => graph;
    }
    if (typeof exported === 'function') {
      const factory = exported as GraphFactory;
      return async (config) => {
        const made = await factory(config);
        const graph = isUncompiled(made) ? made.compile() : made;
        if (!isCompiled(graph)) throw new Error(`graph "${graphId}": its factory did not return a graph`);
        return this.withCheckpointer(graph);
      };
    }
    throw new Error(`graph "${graphId}": the export is neither a graph nor a factory`);
  }

  private withCheckpointer(graph: CompiledGraph): CompiledGraph {
    // `false` means the author turned checkpointing off on purpose.
    if (graph.checkpointer === undefined || graph.checkpointer === null) graph.checkpointer = this.checkpointer;
    return graph;
  }
}

function isCompiled(value: unknown): value is CompiledGraph {
  const v = value as CompiledGraph | undefined;
  return typeof v?.stream === 'function' && typeof v?.getState === 'function';
}

function isUncompiled(value: unknown): value is { compile(): CompiledGraph } {
  return typeof (value as { compile?: unknown } | undefined)?.compile === 'function' && !isCompiled(value);
}
