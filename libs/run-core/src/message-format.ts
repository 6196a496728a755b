import type { BaseMessage } from '@langchain/core/messages';
import type { PlainMessage } from './run-event.js';

/** The text of a message's content: a string as is, the text parts of a content array. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') text += part;
    else if (part && typeof part === 'object' && (part as { type?: string }).type === 'text') {
      text += String((part as { text?: unknown }).text ?? '');
    }
  }
  return text;
}

const CHUNK_TYPES: Record<string, string> = {
  ai: 'AIMessageChunk',
  human: 'HumanMessageChunk',
  tool: 'ToolMessageChunk',
  system: 'SystemMessageChunk',
};

/**
 * A message (chunk) in the plain shape LangChain serialises it to and LangGraph Platform
 * clients read: `{type: "AIMessageChunk", id, content, tool_call_chunks, …}`.
 */
export function toPlainMessage(message: BaseMessage, isChunk: boolean): PlainMessage {
  const m = message as BaseMessage & Record<string, unknown>;
  const type = message.type;
  const plain: PlainMessage = {
    type: isChunk ? (CHUNK_TYPES[type] ?? type) : type,
    id: message.id,
    content: message.content,
    additional_kwargs: message.additional_kwargs ?? {},
    response_metadata: message.response_metadata ?? {},
    name: message.name,
  };
  if (type === 'ai') {
    plain.tool_calls = m.tool_calls ?? [];
    plain.invalid_tool_calls = m.invalid_tool_calls ?? [];
    plain.usage_metadata = m.usage_metadata;
    if (isChunk) plain.tool_call_chunks = m.tool_call_chunks ?? [];
  } else if (type === 'tool') {
    plain.tool_call_id = m.tool_call_id;
    plain.status = m.status;
    plain.artifact = m.artifact;
  }
  return plain;
}

const ROLES: Record<string, string> = { human: 'user', ai: 'assistant', tool: 'tool', system: 'system' };

export interface ThreadMessageView {
  id: string | undefined;
  role: string;
  content: string;
  tool_calls?: { id?: string; name: string; args: unknown }[];
  tool_call_id?: string;
}

/** A checkpointed message as the simple protocol's thread view shows it. */
export function toThreadMessage(message: BaseMessage): ThreadMessageView {
  const view: ThreadMessageView = {
    id: message.id,
    role: ROLES[message.type] ?? message.type,
    content: messageText(message.content),
  };
  const m = message as unknown as Record<string, any>;
  if (message.type === 'ai' && Array.isArray(m.tool_calls) && m.tool_calls.length) {
    view.tool_calls = m.tool_calls.map((c: any) => ({ id: c.id, name: c.name, args: c.args }));
  }
  if (message.type === 'tool') view.tool_call_id = m.tool_call_id;
  return view;
}
