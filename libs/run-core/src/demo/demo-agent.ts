import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { SystemMessage, type AIMessage } from '@langchain/core/messages';
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
    const messages = options.openai ? [new SystemMessage(SYSTEM_PROMPT), ...state.messages] : state.messages;
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
  const model: BaseChatModel = new ChatOpenAI({
    apiKey: options.openai.apiKey,
    model: options.openai.model,
    streaming: true,
    configuration: options.openai.baseUrl ? { baseURL: options.openai.baseUrl } : undefined,
  });
  return model.bindTools!([refundTool]);
}
