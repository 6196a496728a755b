// Small graphs for specs only: deterministic models and the shapes the token handler must
// read the way LangGraph's `messages` stream mode does.
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable, RunnableConfig } from '@langchain/core/runnables';
import { END, entrypoint, MemorySaver, MessagesAnnotation, START, StateGraph, task } from '@langchain/langgraph';
import { messageText } from './message-format.js';

/**
 * Streams the given tokens through the callbacks, as a provider's model does. `firstId`
 * puts an id on the first chunk only, as providers that send theirs once do.
 */
export class ScriptedChatModel extends BaseChatModel {
  constructor(private readonly script: { tokens: string[]; firstId?: string }) {
    super({});
  }

  _llmType(): string {
    return 'scripted';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let text = '';
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) text += chunk.text;
    return { generations: [{ text, message: new AIMessage({ content: text, id: this.script.firstId }) }] };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    for (const [i, token] of this.script.tokens.entries()) {
      const message = new AIMessageChunk({ content: token, ...(i === 0 && this.script.firstId ? { id: this.script.firstId } : {}) });
      const chunk = new ChatGenerationChunk({ text: token, message });
      await runManager?.handleLLMNewToken(token, undefined, undefined, undefined, undefined, { chunk });
      yield chunk;
    }
  }
}

/** A model that cannot stream: it implements only `_generate` and returns a whole message. */
export class WholeChatModel extends BaseChatModel {
  constructor(private readonly text: string) {
    super({});
  }

  _llmType(): string {
    return 'whole';
  }

  async _generate(): Promise<ChatResult> {
    return { generations: [{ text: this.text, message: new AIMessage({ content: this.text }) }] };
  }
}

type Model = Runnable<BaseMessage[], BaseMessage>;

function callModel(model: Model) {
  return async (state: typeof MessagesAnnotation.State, config: RunnableConfig) => ({
    messages: [await model.invoke(state.messages, config)],
  });
}

/**
 * quiet (a model tagged `nostream`) → whole (a model that only generates) → loud (a
 * streaming model whose provider id is on its first chunk only).
 */
export function modelKindsGraph() {
  return new StateGraph(MessagesAnnotation)
    .addNode('quiet', callModel(new ScriptedChatModel({ tokens: ['quiet ', 'words'] }).withConfig({ tags: ['nostream'] })))
    .addNode('whole', callModel(new WholeChatModel('a whole answer')))
    .addNode('loud', callModel(new ScriptedChatModel({ tokens: ['loud ', 'and ', 'clear'], firstId: 'provider-msg-1' })))
    .addEdge(START, 'quiet')
    .addEdge('quiet', 'whole')
    .addEdge('whole', 'loud')
    .addEdge('loud', END)
    .compile();
}

/** outer (a streaming model) → inner, a subgraph whose node `deep` streams too. */
export function nestedGraph() {
  const inner = new StateGraph(MessagesAnnotation)
    .addNode('deep', callModel(new ScriptedChatModel({ tokens: ['deep ', 'down'] })))
    .addEdge(START, 'deep')
    .compile();
  return new StateGraph(MessagesAnnotation)
    .addNode('outer', callModel(new ScriptedChatModel({ tokens: ['outer ', 'talk'] })))
    .addNode('inner', inner)
    .addEdge(START, 'outer')
    .addEdge('outer', 'inner')
    .addEdge('inner', END)
    .compile();
}

/** A functional-API workflow: `wf` calls task `inner` and task `outer`, which calls `inner`. */
export function functionalGraph() {
  const model = new ScriptedChatModel({ tokens: ['from ', 'a task'] });
  const inner = task('inner', async (text: string) => messageText((await model.invoke([new HumanMessage(text)])).content));
  const outer = task('outer', async (text: string) => inner(text));
  return entrypoint({ name: 'wf', checkpointer: new MemorySaver() }, async (text: string) => [await inner(text), await outer(text)]);
}
