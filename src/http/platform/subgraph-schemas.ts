import { getConfigTypeSchema, getInputTypeSchema, getOutputTypeSchema, getUpdateTypeSchema } from '@langchain/langgraph/zod/schema';
import type { CompiledGraph } from '@riser/run-core';

/**
 * `GET /assistants/:id/subgraphs[/:namespace][?recurse]`, as the official server answers it:
 * each subgraph by its namespace, with the JSON schemas of its zod state/config (null for
 * Annotation-based graphs, which Riser does not parse from TypeScript source).
 */
export async function subgraphSchemas(graph: CompiledGraph, namespace?: string, recurse = false): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for await (const [ns, subgraph] of graph.getSubgraphsAsync(namespace, recurse)) {
    const read = (fn: (g: unknown) => unknown) => {
      try {
        return fn(subgraph) ?? null;
      } catch {
        return null;
      }
    };
    const config = read(getConfigTypeSchema);
    out[ns] = {
      input_schema: read(getInputTypeSchema),
      output_schema: read(getOutputTypeSchema),
      state_schema: read(getUpdateTypeSchema),
      config_schema: config,
      context_schema: config,
    };
  }
  return out;
}
