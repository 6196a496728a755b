/**
 * LangGraph's `debug` chunks as the official server sends them: a checkpoint carries
 * `checkpoint` and `parent_checkpoint` (the SDK's Checkpoint, from its configs), its
 * `parentConfig` is `parent_config`, its configs lose LangGraph's internal `__` keys and the
 * callbacks, and a task with a subgraph state names its `checkpoint` instead of a config.
 */
export function platformDebugChunk(chunk: unknown): unknown {
  const debug = chunk as { type?: string; payload?: Record<string, unknown> } | null;
  if (!debug || typeof debug !== 'object' || !debug.payload || typeof debug.payload !== 'object') return chunk;
  if (debug.type === 'checkpoint') return { ...debug, payload: checkpointPayload(debug.payload) };
  if (debug.type === 'task_result') return { ...debug, payload: task(debug.payload) };
  return chunk;
}

type Config = { configurable?: Record<string, unknown>; [key: string]: unknown };

function checkpointPayload(payload: Record<string, unknown>): Record<string, unknown> {
  const { parentConfig, config, tasks, ...rest } = payload as { parentConfig?: Config; config?: Config; tasks?: unknown[] };
  return {
    ...rest,
    config: publicConfig(config),
    parent_config: publicConfig(parentConfig),
    checkpoint: checkpointOf(config),
    parent_checkpoint: checkpointOf(parentConfig),
    tasks: Array.isArray(tasks) ? tasks.map((t) => task(t as Record<string, unknown>)) : [],
  };
}

function task(payload: Record<string, unknown>): Record<string, unknown> {
  const state = payload.state as Config | undefined;
  const checkpoint = checkpointOf(state);
  if (!checkpoint) return payload;
  const { state: _state, ...rest } = payload;
  return { ...rest, checkpoint };
}

function checkpointOf(config: Config | undefined): Record<string, unknown> | null {
  const c = config?.configurable;
  if (!c || typeof c !== 'object' || !c.thread_id) return null;
  return {
    thread_id: c.thread_id,
    checkpoint_ns: c.checkpoint_ns ?? '',
    checkpoint_id: c.checkpoint_id ?? null,
    checkpoint_map: c.checkpoint_map ?? null,
  };
}

function publicConfig(config: Config | undefined): Config | undefined {
  if (!config || typeof config !== 'object') return config;
  const { callbacks: _callbacks, ...rest } = config;
  if (!rest.configurable || typeof rest.configurable !== 'object') return rest;
  return { ...rest, configurable: Object.fromEntries(Object.entries(rest.configurable).filter(([key]) => !key.startsWith('__'))) };
}
