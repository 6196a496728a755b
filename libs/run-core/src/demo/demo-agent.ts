import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { DemoChatModel } from './demo-chat-model.js';
import { refundTool } from './refund-tool.js';

export interface DemoAgentOptions {
  tokenDelayMs: number;
  /** With these, the agent talks to an OpenAI-compatible API instead of the demo model. */
  openai?: { apiKey: string; baseUrl?: string; model: string };
}

const SYSTEM_PROMPT =
  "You are Riser's demo agent. Answer briefly. When the user asks for a refund, call the " +
  'issue_refund tool with the order id and amount; a human approves every refund.';

/**
 * The built-in `agent`: a StateGraph over MessagesAnnotation with a chat model node and a
 * tool node whose refund tool asks a human for approval through `interrupt()`.
 */
export async function createDemoAgent(options: DemoAgentOptions) {
  const model = await chatModel(options);
  const callModel = async (state: typeof MessagesAnnotation.State, config: RunnableConfig) => {
    const messages = options.openai ? [new SystemMessage(SYSTEM_PROMPT), ...answerDanglingToolCalls(state.messages)] : state.messages;
    return { messages: [await model.invoke(messages, config)] };
  };
  const route = (state: typeof MessagesAnnotation.State) => {
    const last = state.messages[state.messages.length - 1] as AIMessage;
    return last?.tool_calls?.length ? 'tools' : END;
  };
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', callModel)
    .addNode('tools', new ToolNode([refundTool]))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', route, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ name: 'agent' });
}

async function chatModel(options: DemoAgentOptions) {
  if (!options.openai) return new DemoChatModel({ tokenDelayMs: options.tokenDelayMs });
  // Loaded only when configured: the OpenAI client is not needed otherwise.
  const { ChatOpenAI } = await import('@langchain/openai');
  // No `streaming: true`: calls stream anyway when a handler wants tokens (Riser's and
  // LangGraph's do), and with it a call nobody streams would estimate its token usage with
  // tiktoken, whose encodings are fetched from tiktoken.pages.dev (minutes of retries offline).
  const model: BaseChatModel = new ChatOpenAI({
    apiKey: options.openai.apiKey,
    model: options.openai.model,
    configuration: options.openai.baseUrl ? { baseURL: options.openai.baseUrl } : undefined,
  });
  return model.bindTools!([refundTool]);
}

const NOT_DONE = 'Not done: the user wrote again before a reviewer decided, so this call was dropped.';

/**
 * OpenAI rejects (400) a conversation in which a tool call has no tool result after it, and
 * a thread holds one when the user writes again instead of answering an approval. The model
 * is told such calls were not done; the thread itself keeps its messages as they are.
 */
function answerDanglingToolCalls(messages: BaseMessage[]): BaseMessage[] {
  const answered = new Set(messages.filter((m) => ToolMessage.isInstance(m)).map((m) => m.tool_call_id));
  return messages.flatMap((message) => {
    if (!AIMessage.isInstance(message)) return [message];
    const dangling = (message.tool_calls ?? []).filter((call) => call.id && !answered.has(call.id));
    return [message, ...dangling.map((call) => new ToolMessage({ tool_call_id: call.id!, name: call.name, content: NOT_DONE }))];
  });
}
