// The benchmark's graph (plain ES module: Riser's loader, the baseline server and the
// in-process floor all import it). One node calls a fake chat model that streams `tokens`
// word-sized tokens ("tok0 ", "tok1 ", …), `token_delay_ms` apart (or, with `token_yield`, a
// macrotask apart), read per run from `config.configurable`. Tokens reach callback handlers the way real providers send them:
// `handleLLMNewToken(token, …, { chunk })` before the chunk is yielded.
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { MessagesAnnotation, StateGraph } from '@langchain/langgraph';

export const DEFAULT_TOKENS = 10;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The text of token `i`, as the load generator expects it. */
export const tokenText = (i) => `tok${i} `;

export class BenchChatModel extends BaseChatModel {
  _llmType() {
    return 'bench';
  }

  async _generate(messages, options) {
    let text = '';
    for await (const chunk of this._streamResponseChunks(messages, options, undefined)) text += chunk.text;
    return { generations: [{ text, message: new AIMessage(text) }] };
  }

  async *_streamResponseChunks(_messages, options, runManager) {
    // LangChain strips `configurable` from a model's call options: the node passes the two
    // values as call options too (see below).
    const tokens = Number(options?.tokens ?? DEFAULT_TOKENS);
    const delay = Number(options?.token_delay_ms ?? 0);
    const yieldEach = options?.token_yield === true;
    for (let i = 0; i < tokens; i++) {
      if (delay > 0 && i > 0) await sleep(delay);
      else if (yieldEach && i > 0) await new Promise((resolve) => setImmediate(resolve));
      const token = tokenText(i);
      const chunk = new ChatGenerationChunk({ text: token, message: new AIMessageChunk({ content: token }) });
      await runManager?.handleLLMNewToken(token, undefined, undefined, undefined, undefined, { chunk });
      yield chunk;
    }
  }
}

const model = new BenchChatModel({});

/** The uncompiled graph: the baseline and the in-process floor compile it with their checkpointer. */
export const workflow = new StateGraph(MessagesAnnotation)
  .addNode('model', async (state, config) => {
    const { tokens, token_delay_ms, token_yield } = config?.configurable ?? {};
    return { messages: [await model.invoke(state.messages, { ...config, tokens, token_delay_ms, token_yield })] };
  })
  .addEdge('__start__', 'model');

/** Compiled without a checkpointer: Riser attaches its Postgres one. */
export const graph = workflow.compile();
