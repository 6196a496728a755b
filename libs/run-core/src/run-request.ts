/**
 * Graph stream modes a caller can ask a run to record, besides its messages. `events` is
 * LangChain's `streamEvents` (v2) event stream; the others are `graph.stream()` modes.
 */
export const GRAPH_STREAM_MODES = ['values', 'updates', 'custom', 'debug', 'tasks', 'checkpoints', 'tools', 'events'] as const;
export type GraphStreamMode = (typeof GRAPH_STREAM_MODES)[number];

export type RunProtocol = 'simple' | 'socket' | 'ws' | 'platform' | 'approval';
export type MultitaskStrategy = 'reject' | 'enqueue' | 'interrupt' | 'rollback';
export type OnDisconnect = 'continue' | 'cancel';

/** What a transport asks of the run core, whatever protocol it speaks. */
export interface RunRequest {
  /** Created for the caller when absent. */
  threadId?: string;
  /** A registered graph id; the demo `agent` when absent. */
  assistantId?: string;
  /** Graph input, e.g. `{messages: [{role: "user", content}]}`. */
  input?: unknown;
  /** Resume/update/goto instead of (or with) input. */
  command?: { resume?: unknown; update?: unknown; goto?: unknown };
  /**
   * Which messages to record: `text` keeps only non-empty text chunks of models (the simple
   * protocol's content frames); `full` keeps every chunk and the messages nodes return (the
   * Platform API's `messages` modes); `none` records no messages.
   */
  messages?: 'text' | 'full' | 'none';
  /** Graph stream modes to record as `stream` events. */
  streamModes?: GraphStreamMode[];
  subgraphs?: boolean;
  /** Start no sooner than this many seconds after admission (the run is `pending` until then). */
  afterSeconds?: number;
  /** Run timeout, ms; capped at the configured maximum. */
  timeoutMs?: number;
  onDisconnect?: OnDisconnect;
  multitaskStrategy?: MultitaskStrategy;
  /** Stored with the run. */
  metadata?: Record<string, unknown>;
  /** Stored with a thread the run creates. */
  threadMetadata?: Record<string, unknown>;
  /** Passed to the graph (configurable, tags, recursion_limit…). */
  config?: { configurable?: Record<string, unknown>; tags?: string[]; recursion_limit?: number; [k: string]: unknown };
  context?: Record<string, unknown>;
  interruptBefore?: string[] | '*';
  interruptAfter?: string[] | '*';
  /** Start from this checkpoint of the thread. */
  checkpointId?: string;
  /** The stream modes the client asked for, as its protocol names them (for rejoins over it). */
  clientModes?: string[];
  /** Which protocol started the run (for metrics and logs). */
  protocol?: RunProtocol;
  /**
   * Opaque context of the caller (W3C trace context, from RunCoreEvents.carrierSources),
   * stored with the run: a queued, claimed or taken-over attempt continues the caller's trace.
   */
  carrier?: Record<string, string>;
  /** The carrier of the run this one resumes (a decision on its interrupt), to link the two. */
  resumes?: Record<string, string>;
}
