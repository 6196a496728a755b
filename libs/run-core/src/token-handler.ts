import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { AIMessageChunk, isBaseMessage, isToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatGenerationChunk, LLMResult } from '@langchain/core/outputs';
import { isCommand } from '@langchain/langgraph';
import { messageText, toPlainMessage } from './message-format.js';
import type { MessageEventData, MessageMetadata } from './run-event.js';

export interface TokenHandlerOptions {
  /** Also stream chunks of subgraphs' models (else only the top graph's, as LangGraph does). */
  subgraphs: boolean;
  /**
   * `full`: every chunk as a plain message, and the whole messages nodes return (tool
   * results…), as `messages` mode does. `text`: only the non-empty text of model output, with
   * nothing else built per token (what the simple protocol and the socket gateway send).
   */
  mode: 'text' | 'full';
}

export type TokenSink = (data: MessageEventData, ns: string[]) => void;

interface Tracked {
  metadata: MessageMetadata;
  ns: string[];
  /** The call's first message id, given to its later chunks that carry none of their own. */
  messageId?: string;
}

/**
 * Riser's own reader of model tokens, in place of LangGraph's `messages` stream mode: one
 * callback handler per run, pushing each chunk straight into that run's log. Measured at
 * ~34 µs CPU per token against ~55 µs through `streamMode: "messages"`, and without that
 * mode's unbounded buffering.
 *
 * What it keeps from LangGraph's own handler (which is internal to the package): models
 * tagged `nostream` are skipped; chunks carry the call's metadata (langgraph_node, …) and
 * namespace; a model that did not stream has its final message emitted once; in `full`
 * mode, messages returned by nodes are emitted unless already seen; message ids
 * are LangGraph's (one per model call; a node's output without one gets `run-…-tool-…` or
 * `run-…-out-…`), so what clients are sent matches the thread's state.
 * `awaitHandlers` is set so that tokens are pushed before the model goes on, which keeps
 * their order relative to the graph's `updates` and loses none under concurrency.
 */
export class RunTokenHandler extends BaseCallbackHandler {
  name = 'RiserRunTokenHandler';
  override awaitHandlers = true;
  /** Asks chat models invoked without `.stream()` to stream anyway. */
  lc_prefer_streaming = true;

  private readonly calls = new Map<string, Tracked>();
  private readonly streamed = new Set<string>();
  private readonly nodes = new Map<string, Tracked>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly sink: TokenSink,
    private readonly options: TokenHandlerOptions,
  ) {
    super();
  }

  override handleChatModelStart(
    _llm: unknown,
    _messages: unknown,
    runId: string,
    _parentRunId?: string,
    _extra?: unknown,
    tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    if (!metadata || tags?.includes('nostream') || tags?.includes('langsmith:nostream')) return;
    const tracked = this.track(metadata, tags, name);
    if (tracked) this.calls.set(runId, tracked);
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: ChatGenerationChunk },
  ): void {
    const call = this.calls.get(runId);
    if (!call) return;
    this.streamed.add(runId);
    if (this.options.mode === 'text') {
      const text = fields?.chunk ? messageText(fields.chunk.message.content) : token;
      if (text) this.sink({ text, role: 'ai', metadata: call.metadata, complete: false }, call.ns);
      return;
    }
    const message = fields?.chunk?.message ?? new AIMessageChunk({ content: token });
    this.emit(message, call, false, this.callMessageId(message, call, runId));
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const call = this.calls.get(runId);
    if (!call) return;
    this.calls.delete(runId);
    if (this.streamed.delete(runId)) return;
    const message = (output.generations?.[0]?.[0] as { message?: BaseMessage } | undefined)?.message;
    if (isBaseMessage(message)) this.emit(message, call, true, this.callMessageId(message, call, runId));
  }

  override handleLLMError(_err: unknown, runId: string): void {
    this.calls.delete(runId);
    this.streamed.delete(runId);
  }

  override handleChainStart(
    _chain: unknown,
    inputs: Record<string, unknown>,
    runId: string,
    _parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    _runType?: string,
    name?: string,
  ): void {
    if (this.options.mode !== 'full' || !metadata || name !== metadata.langgraph_node) return;
    if (tags?.includes('langsmith:hidden')) return;
    const tracked = this.track(metadata, tags, name);
    if (!tracked) return;
    this.nodes.set(runId, tracked);
    // Messages a node receives are not news when it returns them.
    if (inputs && typeof inputs === 'object') {
      for (const value of Object.values(inputs)) this.markSeen(value);
    }
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    const node = this.nodes.get(runId);
    if (!node) return;
    this.nodes.delete(runId);
    this.emitOutputs(outputs, node, runId, { next: 0 });
  }

  override handleChainError(_err: unknown, runId: string): void {
    this.nodes.delete(runId);
  }

  private track(metadata: Record<string, unknown>, tags: string[] | undefined, name: string | undefined): Tracked | undefined {
    const namespace = (metadata.langgraph_checkpoint_ns ?? metadata.checkpoint_ns) as string | undefined;
    if (!namespace) return undefined;
    // "node:task-id" for a top-level node; more segments inside subgraphs. A functional-API
    // task called from a task adds one per level of calls (its path ends in `true`), which
    // LangGraph counts as part of the calling task, not as a subgraph: those are dropped too.
    let taskSegments = 1;
    let path = metadata.langgraph_path;
    while (Array.isArray(path) && path[0] === '__pregel_push' && path[path.length - 1] === true) {
      taskSegments += 1;
      path = path[1];
    }
    const segments = namespace.split('|');
    const ns = segments.slice(0, Math.max(segments.length - taskSegments, 0));
    if (ns.length > 0 && !this.options.subgraphs) return undefined;
    return { metadata: { tags, name, ...metadata }, ns };
  }

  /**
   * The id every chunk of one model call gets, as LangGraph gives it: the call's first id.
   * Providers often put theirs on the first chunk only, and core stamps `run-<runId>` on
   * chunks without one (before or after the callback, depending on the provider), so a
   * chunk with no id or that stamp takes the first id seen, and the message stays one.
   */
  private callMessageId(message: BaseMessage, call: Tracked, runId: string): string {
    const stamp = `run-${runId}`;
    const id = message.id == null || message.id === stamp ? (call.messageId ?? message.id ?? stamp) : message.id;
    call.messageId ??= id;
    return id;
  }

  /**
   * `id`, when given, is set on the message itself (as LangGraph does): a node's output is
   * the object its write holds, so the checkpointed message gets the id clients were sent.
   */
  private emit(message: BaseMessage, call: Tracked, complete: boolean, id?: string): void {
    if (complete && message.id != null && this.seen.has(message.id)) return;
    if (id !== undefined && id !== message.id) {
      message.id = id;
      (message.lc_kwargs as { id?: string }).id = id;
    }
    if (message.id != null) this.seen.add(message.id);
    const text = messageText(message.content);
    if (this.options.mode === 'text') {
      if (text && message.type === 'ai') this.sink({ text, role: 'ai', metadata: call.metadata, complete }, call.ns);
      return;
    }
    this.sink({ text, role: message.type, message: toPlainMessage(message), metadata: call.metadata, complete }, call.ns);
  }

  /**
   * Messages a node returned without an id get LangGraph's: `run-<node run>-tool-<call id>`
   * for a tool result, else `run-<node run>-out-<index among the node's messages>`.
   */
  private emitOutputs(output: unknown, node: Tracked, runId: string, index: { next: number }): void {
    if (isCommand(output)) return this.emitOutputs(output.update, node, runId, index);
    if (isBaseMessage(output)) {
      const idx = index.next++;
      const id = output.id ?? (isToolMessage(output) ? `run-${runId}-tool-${output.tool_call_id}` : `run-${runId}-out-${idx}`);
      return this.emit(output, node, true, id);
    }
    if (Array.isArray(output)) {
      for (const value of output) this.emitOutputs(value, node, runId, index);
      return;
    }
    if (output && typeof output === 'object') {
      for (const value of Object.values(output)) {
        if (Array.isArray(value) || isBaseMessage(value)) this.emitOutputs(value, node, runId, index);
      }
    }
  }

  private markSeen(value: unknown): void {
    if (isBaseMessage(value) && value.id != null) this.seen.add(value.id);
    else if (Array.isArray(value)) for (const item of value) this.markSeen(item);
  }
}
