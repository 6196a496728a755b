// The run core sets this before any LangChain code runs; so must the spec.
import '../langchain-env.js';
import { HumanMessage, type AIMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { FAKE_REPLY, startFakeOpenAI, type FakeOpenAI } from '../../../../test/fixtures/fake-openai.js';
import { createDemoAgent } from './demo-agent.js';

// The demo agent on an OpenAI-compatible API (a local fake), called the ways the run core
// calls it: streamed when a handler wants tokens, plainly when nothing does.
describe('createDemoAgent with openai options', () => {
  let openai: FakeOpenAI;
  let fetchSpy: jest.SpyInstance;

  beforeAll(async () => {
    openai = await startFakeOpenAI();
    fetchSpy = jest.spyOn(globalThis, 'fetch');
  });
  afterAll(async () => {
    fetchSpy.mockRestore();
    await openai.close();
  });

  const agent = async () => {
    const graph = await createDemoAgent({ tokenDelayMs: 0, openai: { apiKey: 'sk-unit', baseUrl: openai.baseUrl, model: 'fake-model' } });
    graph.checkpointer = new MemorySaver();
    return graph;
  };
  const contacted = () => fetchSpy.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input));

  it('streams tokens when a handler asks for them', async () => {
    const graph = await agent();
    const tokens: string[] = [];
    const stream = await graph.stream({ messages: [new HumanMessage('hi')] }, { configurable: { thread_id: 'streamed' }, streamMode: 'messages' });
    for await (const [chunk] of stream) if (typeof chunk.content === 'string' && chunk.content) tokens.push(chunk.content);
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toBe(FAKE_REPLY);
  });

  it('answers a call nobody streams with one plain request and the API-reported usage, and no other host', async () => {
    fetchSpy.mockClear();
    const started = Date.now();
    const graph = await agent();
    const out = await graph.invoke({ messages: [new HumanMessage('hi')] }, { configurable: { thread_id: 'plain' } });
    const reply = out.messages[out.messages.length - 1] as AIMessage;
    expect(reply.content).toBe(FAKE_REPLY);
    // The fake reports 20 prompt tokens; a tiktoken estimate would differ.
    expect(reply.usage_metadata).toMatchObject({ input_tokens: 20 });
    // `streaming: true` would stream here too, then estimate tokens with tiktoken, whose
    // encodings come from tiktoken.pages.dev: minutes of retries on a machine offline.
    expect(contacted().every((url) => url.startsWith(openai.baseUrl))).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
