import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface GraphSpec {
  graphId: string;
  /** Absolute path of the module. */
  path: string;
  /** The export to use ('default' when the spec names none). */
  exportName: string;
}

/**
 * Reads the graphs of a langgraph.json (the LangGraph CLI format:
 * `{"graphs": {"name": "./path/to/module.js:export"}}`), paths relative to the file.
 */
export async function readGraphConfig(configPath: string): Promise<GraphSpec[]> {
  let raw: string;
  try {
    raw = await readFile(configPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read langgraph.json at ${configPath}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${configPath} is not valid JSON: ${(err as Error).message}`);
  }
  const graphs = (parsed as { graphs?: unknown })?.graphs;
  if (!graphs || typeof graphs !== 'object' || Array.isArray(graphs)) {
    throw new Error(`${configPath} has no "graphs" object`);
  }
  const base = dirname(resolve(configPath));
  return Object.entries(graphs as Record<string, unknown>).map(([graphId, spec]) => {
    const target = typeof spec === 'string' ? spec : (spec as { path?: unknown })?.path;
    if (typeof target !== 'string' || !target) {
      throw new Error(`${configPath}: graph "${graphId}" must be "./module.js:export"`);
    }
    const colon = target.lastIndexOf(':');
    const file = colon > 1 ? target.slice(0, colon) : target;
    const exportName = colon > 1 ? target.slice(colon + 1) : 'default';
    return { graphId, path: isAbsolute(file) ? file : resolve(base, file), exportName };
  });
}
