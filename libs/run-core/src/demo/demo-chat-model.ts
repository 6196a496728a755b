import { setTimeout as sleep } from 'node:timers/promises';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { BaseChatModel, type BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { planReply, tokenize } from './demo-script.js';

export interface DemoChatModelOptions {
  /** Delay before each token, ms; 0 streams without timers. */
  tokenDelayMs: number;
}

/**
 * A deterministic chat model for the demo agent: no API key, but it streams word-sized
 * tokens through LangChain's callbacks exactly as a real provider's model does, and it
 * proposes tool calls. What it says is decided by {@link planReply}.
 */
export class DemoChatModel extends BaseChatModel {
  constructor(private readonly options: DemoChatModelOptions) {
    super({});
  }

  _llmType(): string {
    return 'riser-demo';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let aggregate: AIMessageChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      aggregate = aggregate ? aggregate.concat(chunk.message as AIMessageChunk) : (chunk.message as AIMessageChunk);
    }
    const message = new AIMessage({
      content: aggregate?.content ?? '',
      tool_calls: aggregate?.tool_calls ?? [],
    });
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: BaseChatModelCallOptions,
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const plan = planReply(messages);
    const delay = this.options.tokenDelayMs;
    for (const token of tokenize(plan.text)) {
      if (delay > 0) await sleep(delay, undefined, { signal: options.signal });
      else options.signal?.throwIfAborted();
      const chunk = new ChatGenerationChunk({ text: token, message: new AIMessageChunk({ content: token }) });
      await runManager?.handleLLMNewToken(token, undefined, undefined, undefined, undefined, { chunk });
      yield chunk;
    }
    if (plan.toolCall) {
      const { name, args, id } = plan.toolCall;
      const chunk = new ChatGenerationChunk({
        text: '',
        message: new AIMessageChunk({
          content: '',
          tool_call_chunks: [{ name, args: JSON.stringify(args), id, index: 0, type: 'tool_call_chunk' }],
        }),
      });
      await runManager?.handleLLMNewToken('', undefined, undefined, undefined, undefined, { chunk });
      yield chunk;
    }
  }
}
