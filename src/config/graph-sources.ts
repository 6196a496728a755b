import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GraphDefaults } from '@riser/run-core';

export interface GraphSources {
  /** The langgraph.json to load, absolute; none when no graphs besides the demo agent. */
  path?: string;
  /** Which variable named it, for the deprecation warning of the old LANGGRAPH_CONFIG use. */
  pathFrom?: 'LANGGRAPH_JSON' | 'LANGGRAPH_CONFIG' | 'default';
  /** LANGGRAPH_CONFIG as the official server reads it: default config and context per graph. */
  defaults: Record<string, GraphDefaults>;
}

/**
 * Where the graphs come from: LANGGRAPH_JSON (or ./langgraph.json), and LANGGRAPH_CONFIG with
 * the official server's meaning — JSON default configs per graph. Riser used to read
 * LANGGRAPH_CONFIG as the langgraph.json path: a value that is not a JSON object still is,
 * and GraphRegistry warns that it is deprecated.
 */
export function graphSources(env: { LANGGRAPH_JSON?: string; LANGGRAPH_CONFIG?: string }, problems: string[]): GraphSources {
  const raw = env.LANGGRAPH_CONFIG?.trim();
  const legacyPath = raw !== undefined && !raw.startsWith('{') ? raw : undefined;
  const defaults = raw !== undefined && !legacyPath ? parseDefaults(raw, problems) : {};
  if (env.LANGGRAPH_JSON && legacyPath) problems.push('LANGGRAPH_CONFIG: holds a path while LANGGRAPH_JSON is set; LANGGRAPH_CONFIG is JSON default configs per graph');
  const named = env.LANGGRAPH_JSON ?? legacyPath;
  const variable = env.LANGGRAPH_JSON ? 'LANGGRAPH_JSON' : 'LANGGRAPH_CONFIG';
  if (named && !existsSync(named)) problems.push(`${variable}: ${named} does not exist`);
  if (named) return { path: resolve(named), pathFrom: variable, defaults };
  return existsSync('langgraph.json') ? { path: resolve('langgraph.json'), pathFrom: 'default', defaults } : { defaults };
}

const CONFIG_KEYS = new Set(['configurable', 'context', 'tags', 'recursion_limit', 'metadata']);

function parseDefaults(raw: string, problems: string[]): Record<string, GraphDefaults> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('LANGGRAPH_CONFIG: is not valid JSON (expected {"<graph_id>": {"configurable": {…}}})');
    return {};
  }
  if (!isObject(parsed)) {
    problems.push('LANGGRAPH_CONFIG: must be a JSON object of configs per graph id');
    return {};
  }
  const out: Record<string, GraphDefaults> = {};
  for (const [graphId, value] of Object.entries(parsed)) {
    if (!isObject(value)) {
      problems.push(`LANGGRAPH_CONFIG: the config of graph "${graphId}" must be an object`);
      continue;
    }
    const unknown = Object.keys(value).find((k) => !CONFIG_KEYS.has(k));
    if (unknown) problems.push(`LANGGRAPH_CONFIG: graph "${graphId}" has an unknown key "${unknown}" (allowed: ${[...CONFIG_KEYS].join(', ')})`);
    const { context, ...config } = value;
    if (context !== undefined && !isObject(context)) problems.push(`LANGGRAPH_CONFIG: the context of graph "${graphId}" must be an object`);
    if (config.configurable !== undefined && !isObject(config.configurable)) problems.push(`LANGGRAPH_CONFIG: the configurable of graph "${graphId}" must be an object`);
    out[graphId] = { config: config as GraphDefaults['config'], ...(isObject(context) && { context }) };
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
