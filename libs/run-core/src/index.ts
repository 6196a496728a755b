import './langchain-env.js';

export { RunCoreModule, type RunCoreModuleAsyncOptions } from './run-core.module.js';
export { RUN_CORE_OPTIONS, type RunCoreOptions } from './run-core.options.js';
export { RunService } from './run.service.js';
export { ThreadService, type ThreadView } from './thread.service.js';
export { ThreadAccess } from './access.js';
export { ActiveRun, type StopReason } from './active-run.js';
export { GraphRegistry, DEFAULT_GRAPH, type CompiledGraph, type RegisteredGraph } from './graphs/graph-registry.js';
export { RunError, RunErrorCode, RunFailureCode } from './run-error.js';
export { RunEventLog, type EventLogLimits } from './event-log.js';
export { subscribeToLog, type FlowControl, type SubscribeOptions } from './run-subscription.js';
export { RunTokenHandler } from './token-handler.js';
export { messageText, toPlainMessage, toThreadMessage, type ThreadMessageView } from './message-format.js';
export { createDemoAgent, type DemoAgentOptions } from './demo/demo-agent.js';
export { DemoChatModel } from './demo/demo-chat-model.js';
export type * from './run-event.js';
export type * from './run-request.js';
export { GRAPH_STREAM_MODES } from './run-request.js';
