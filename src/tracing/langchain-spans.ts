import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { LLMResult } from '@langchain/core/outputs';
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

interface Tracked {
  /** The span this LangChain run has (nodes, models, tools), if any. */
  span?: Span;
  /** The span its descendants hang from: its own, or its nearest ancestor's. */
  under: Span;
  tokens?: number;
  startedAt?: number;
  firstTokenMs?: number;
}

/** LangGraph pauses a graph by throwing these: not failures. */
const PAUSES = new Set(['GraphInterrupt', 'NodeInterrupt', 'ParentCommand']);

/**
 * Spans of one attempt's graph, from LangChain's callbacks: one per graph node (a chain
 * run whose name is its `langgraph_node`), model call (tokens streamed, time to first
 * token, token usage) and tool call, parented as LangChain nests them, under the run's span.
 * Other runnables get no span; their children hang from the nearest one that has.
 */
export class LangChainSpans extends BaseCallbackHandler {
  readonly name = 'riser-opentelemetry';
  private readonly runs = new Map<string, Tracked>();

  constructor(
    private readonly tracer: Tracer,
    private readonly root: Span,
  ) {
    super();
  }

  // @langchain/core 1.x calls this with (…, runId, parentRunId, tags, metadata, runType,
  // runName), not in the order its type declares (runType, …, runName, parentRunId).
  override handleChainStart(_chain: Serialized, _inputs: unknown, runId: string, parentRunId?: string, _tags?: string[], metadata?: Record<string, unknown>, _runType?: string, runName?: string) {
    const node = metadata?.langgraph_node;
    const isNode = typeof node === 'string' && node === runName;
    this.open(runId, parentRunId, isNode ? `node ${node}` : undefined, isNode ? { 'langgraph.node': node, 'langgraph.step': Number(metadata?.langgraph_step) || 0 } : {});
  }

  override handleChainEnd(_outputs: unknown, runId: string) {
    this.close(runId);
  }

  override handleChainError(err: Error, runId: string) {
    this.close(runId, err);
  }

  override handleChatModelStart(llm: Serialized, _messages: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string) {
    this.startModel(llm, runId, parentRunId, extraParams, metadata, runName);
  }

  override handleLLMStart(llm: Serialized, _prompts: string[], runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string) {
    this.startModel(llm, runId, parentRunId, extraParams, metadata, runName);
  }

  override handleLLMNewToken(_token: string, _idx: unknown, runId: string) {
    const tracked = this.runs.get(runId);
    if (!tracked) return;
    tracked.tokens = (tracked.tokens ?? 0) + 1;
    tracked.firstTokenMs ??= performance.now() - tracked.startedAt!;
  }

  override handleLLMEnd(output: LLMResult, runId: string) {
    const tracked = this.runs.get(runId);
    const usage = (output.llmOutput?.tokenUsage ?? output.llmOutput?.estimatedTokenUsage) as { promptTokens?: number; completionTokens?: number } | undefined;
    if (tracked?.span && usage) {
      if (usage.promptTokens !== undefined) tracked.span.setAttribute('gen_ai.usage.input_tokens', usage.promptTokens);
      if (usage.completionTokens !== undefined) tracked.span.setAttribute('gen_ai.usage.output_tokens', usage.completionTokens);
    }
    this.close(runId);
  }

  override handleLLMError(err: Error, runId: string) {
    this.close(runId, err);
  }

  override handleToolStart(_tool: Serialized, _input: string, runId: string, parentRunId?: string, _tags?: string[], _metadata?: Record<string, unknown>, runName?: string, toolCallId?: string) {
    this.open(runId, parentRunId, `tool ${runName ?? 'tool'}`, { 'gen_ai.tool.name': runName ?? 'tool', ...(toolCallId && { 'gen_ai.tool.call.id': toolCallId }) });
  }

  override handleToolEnd(_output: unknown, runId: string) {
    this.close(runId);
  }

  override handleToolError(err: Error, runId: string) {
    this.close(runId, err);
  }

  private startModel(llm: Serialized, runId: string, parentRunId: string | undefined, extraParams?: Record<string, unknown>, metadata?: Record<string, unknown>, runName?: string) {
    const params = (extraParams?.invocation_params ?? {}) as { model?: string; model_name?: string };
    const model = params.model ?? params.model_name ?? (metadata?.ls_model_name as string | undefined);
    const name = runName ?? llm.id?.at(-1) ?? 'model';
    this.open(runId, parentRunId, `model ${name}`, { 'gen_ai.operation.name': 'chat', ...(model && { 'gen_ai.request.model': model }) });
    this.runs.get(runId)!.startedAt = performance.now();
  }

  private open(runId: string, parentRunId: string | undefined, spanName: string | undefined, attributes: Attributes) {
    const parent = (parentRunId && this.runs.get(parentRunId)?.under) || this.root;
    if (!spanName) {
      this.runs.set(runId, { under: parent });
      return;
    }
    const span = this.tracer.startSpan(spanName, { attributes }, trace.setSpan(ROOT_CONTEXT, parent));
    this.runs.set(runId, { span, under: span });
  }

  private close(runId: string, err?: Error) {
    const tracked = this.runs.get(runId);
    this.runs.delete(runId);
    const span = tracked?.span;
    if (!span) return;
    if (tracked.tokens !== undefined) span.setAttribute('riser.tokens_streamed', tracked.tokens);
    if (tracked.firstTokenMs !== undefined) span.setAttribute('riser.time_to_first_token_ms', Math.round(tracked.firstTokenMs));
    if (err && !PAUSES.has(err.name)) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    } else if (err) {
      span.setAttribute('riser.paused', err.name);
    }
    span.end();
  }
}
