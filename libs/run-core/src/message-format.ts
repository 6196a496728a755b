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

/**
 * A message (chunk) in the plain shape the official LangGraph server sends it in:
 * `{...message.toDict().data, type}` — `{type: "ai", id, content, tool_call_chunks, …}`.
 */
export function toPlainMessage(message: BaseMessage): PlainMessage {
  const { type, data } = message.toDict() as unknown as { type: string; data: Record<string, unknown> };
  return { ...data, type } as PlainMessage;
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
