import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { serialize } from './platform-shapes.js';

describe('serialize (Platform API JSON)', () => {
  it('writes LangChain messages as the official server does: {...data, type}', () => {
    const out = JSON.parse(serialize({ messages: [new HumanMessage({ content: 'hi', id: 'h1' }), new AIMessageChunk({ content: 'yo', id: 'a1' })] }));
    expect(out.messages[0]).toMatchObject({ type: 'human', content: 'hi', id: 'h1' });
    expect(out.messages[1]).toMatchObject({ type: 'ai', content: 'yo', id: 'a1' });
    expect(out.messages[0]).not.toHaveProperty('lc');
  });

  it('writes what JSON cannot hold (BigInt, cycles) instead of throwing, and keeps the rest', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    const shared = { x: 1 };
    const out = JSON.parse(serialize({ big: 12345678901234567890n, node, twice: [shared, shared], msg: new HumanMessage('ok') }));
    expect(out).toEqual({
      big: '12345678901234567890',
      node: { name: 'loop', self: '[Circular]' },
      // The same object twice is not a cycle.
      twice: [{ x: 1 }, { x: 1 }],
      msg: expect.objectContaining({ type: 'human', content: 'ok' }),
    });
  });

  it('writes null for undefined', () => {
    expect(serialize(undefined)).toBe('null');
  });
});
