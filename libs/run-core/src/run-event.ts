/**
 * The one vocabulary of what happens in a run. Every wire protocol (simple SSE, Socket.IO,
 * LangGraph Platform) is a mapping from these events, done in the transport that speaks it.
 */
export type RunEventType =
  /** First event: which run and thread this is. */
  | 'metadata'
  /** A message (chunk) from a chat model, or a message a node returned. */
  | 'message'
  /** A graph stream mode the run was asked for: values, updates, custom, debug, tasks, checkpoints. */
  | 'stream'
  /** The graph paused at interrupt(). */
  | 'interrupt'
  /**
   * Another attempt took the run over (its replica died or was shut down): frames from
   * `discard_from` up to this one are produced again by the resumed attempt.
   */
  | 'retry'
  /** The run failed, timed out or was cancelled. */
  | 'error'
  /** Always last. */
  | 'end';

export interface RunMetadataData {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  attempt: number;
}

/** LangGraph's metadata for a model call: langgraph_node, langgraph_step, checkpoint_ns… */
export type MessageMetadata = Record<string, unknown>;

/** A message chunk in the plain shape LangChain serialises it to (`AIMessageChunk` etc.). */
export interface PlainMessage {
  type: string;
  id?: string;
  content: unknown;
  [field: string]: unknown;
}

export interface MessageEventData {
  /** Plain text of the chunk's content ('' for a tool-call-only chunk). */
  text: string;
  /** 'ai' for model output, else the node output's role ('tool', 'human', …). */
  role: string;
  /** The chunk as LangChain serialises it; recorded only for runs that asked for `full` messages. */
  message?: PlainMessage;
  /** Shared by every chunk of one model call. */
  metadata: MessageMetadata;
  /** True when this is a whole message a node returned rather than a streamed chunk. */
  complete: boolean;
}

export interface StreamEventData {
  mode: string;
  payload: unknown;
}

export interface InterruptInfo {
  id: string;
  value: unknown;
  /** For LangGraph Platform clients: resumable and where. */
  when?: string;
  ns?: string[];
}

export interface InterruptEventData {
  interrupts: InterruptInfo[];
}

export interface RetryEventData {
  attempt: number;
  discard_from: number;
}

export interface ErrorEventData {
  code: string;
  message: string;
  /** A failed graph's exception class (`graph_error`), which the Platform API reports as `error`. */
  name?: string;
}

export interface EndEventData {
  status: string;
}

interface EventDataMap {
  metadata: RunMetadataData;
  message: MessageEventData;
  stream: StreamEventData;
  interrupt: InterruptEventData;
  retry: RetryEventData;
  error: ErrorEventData;
  end: EndEventData;
}

export type RunEvent = {
  [K in RunEventType]: {
    /** Position in the run, from 1. Events a subscriber is sent on its own (replay_gap,
     * slow_consumer) carry the seq of the last real event it got and `synthetic: true`. */
    seq: number;
    event: K;
    data: EventDataMap[K];
    /** Subgraph namespace, when the run streams subgraphs. */
    ns?: string[];
    synthetic?: boolean;
  };
}[RunEventType];

/** An event before the log numbers it (a `seq` given is overwritten: see RunEventLog.append). */
export type RunEventInput = { [K in RunEventType]: Omit<Extract<RunEvent, { event: K }>, 'seq'> & { seq?: number } }[RunEventType];
