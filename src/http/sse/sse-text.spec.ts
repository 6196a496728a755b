import 'reflect-metadata';
import type { MessageEvent } from '@nestjs/common';
import { SseStream } from '@nestjs/core/router/sse-stream.js';
import { sseText } from './sse-text.js';

/** What Nest's own SSE writer makes of an event (the bytes Riser wrote before it formatted frames itself). */
function nestText(event: MessageEvent): Promise<string> {
  const stream = new SseStream();
  let text = '';
  stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
  return new Promise((resolve, reject) => stream.writeMessage(event, (err?: Error | null) => (err ? reject(err) : setImmediate(() => resolve(text)))));
}

describe('sseText', () => {
  const events: MessageEvent[] = [
    { id: '7', data: '{"content":"Hello"}' },
    { id: '12', data: '[DONE]' },
    { id: '3', type: 'messages/partial', data: '[{"type":"ai","content":"a\\nb"}]' },
    { id: '4', type: 'values', data: 'line one\nline two\r\nline three\rfour' },
    { id: 'a\nb\rc', type: 'bad\r\nname', data: '' },
    { id: '5', retry: 3000, data: 'x' },
    { comment: 'heartbeat' } as MessageEvent,
    { comment: 'two\nlines' } as MessageEvent,
    { id: '6', data: { content: 'an object' } as unknown as string },
    { id: '8', data: '{"content":"ünïcødé ✓ 🚀"}' },
  ];

  it.each(events.map((e) => [JSON.stringify(e), e]))('writes %s as Nest does', async (_, event) => {
    expect(sseText(event as MessageEvent)).toBe(await nestText(event as MessageEvent));
  });
});
