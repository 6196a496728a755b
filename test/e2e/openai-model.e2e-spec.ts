import { frameData, openSse } from '@riser/testing';
import { FAKE_REFUND_ARGS, FAKE_REFUND_PREAMBLE, FAKE_REPLY, startFakeOpenAI, words, type FakeOpenAI } from '../fixtures/fake-openai.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const API_KEY = 'sk-fake-riser-test-key';

type Frame = Record<string, any> | '[DONE]';

describe('demo agent on an OpenAI-compatible API (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL)', () => {
  let openai: FakeOpenAI;
  let riser: RiserTestApp;
  let alice: string;
  let fetchSpy: jest.SpyInstance;

  beforeAll(async () => {
    // Riser runs in this process: every HTTP request it or the OpenAI client makes is seen.
    fetchSpy = jest.spyOn(globalThis, 'fetch');
    openai = await startFakeOpenAI({ chunkDelayMs: 2, apiKey: API_KEY });
    riser = await startRiser({ env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: openai.baseUrl, OPENAI_MODEL: 'fake-model' } });
    alice = riser.token('alice', { tenant: 'acme' });
  });
  afterAll(async () => {
    fetchSpy.mockRestore();
    await riser?.destroy();
    await openai?.close();
  });

  const chat = async (message: string, threadId: string): Promise<Frame[]> => {
    const res = await openSse(`${riser.url}/chat/stream`, {
      headers: { authorization: `Bearer ${alice}` },
      body: { message, thread_id: threadId },
    });
    expect(res.status).toBe(200);
    return frameData(await res.collect()) as Frame[];
  };
  const thread = async (threadId: string): Promise<any> => {
    const res = await fetch(`${riser.url}/chat/threads/${threadId}`, { headers: { authorization: `Bearer ${alice}` } });
    expect(res.status).toBe(200);
    return res.json();
  };
  const contents = (data: Frame[]) => data.filter((d): d is { content: string } => typeof d === 'object' && 'content' in d).map((d) => d.content);
  /** The requests the fake model got that carry this user message, oldest first. */
  const requestsFor = (message: string) =>
    openai.completions().filter((r) => r.body.messages.some((m: { role: string; content: unknown }) => m.role === 'user' && m.content === message));

  it("streams the model's tokens as content frames, then [DONE]", async () => {
    const data = await chat('hello there', 'oa-basic');
    expect(data[0]).toEqual({ thread_id: 'oa-basic', run_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(data[data.length - 1]).toBe('[DONE]');
    // One frame per streamed delta, nothing else in between.
    expect(data.slice(1, -1)).toEqual(words(FAKE_REPLY).map((content) => ({ content })));
    expect(contents(data).length).toBeGreaterThan(3);
    expect(contents(data).join('')).toBe(FAKE_REPLY);

    const view = await thread('oa-basic');
    expect(view).toMatchObject({ thread_id: 'oa-basic', status: 'idle', interrupts: [] });
    expect(view.messages).toEqual([
      expect.objectContaining({ role: 'user', content: 'hello there' }),
      expect.objectContaining({ role: 'assistant', content: FAKE_REPLY, id: expect.any(String) }),
    ]);
    expect(view.messages[1].tool_calls).toBeUndefined();
  });

  it('calls the configured model with the key, the system prompt and the refund tool', async () => {
    const [request] = requestsFor('hello there');
    expect(request).toBeDefined();
    expect(request.method).toBe('POST');
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body).toMatchObject({ model: 'fake-model', stream: true });
    expect(request.body.messages).toEqual([
      { role: 'system', content: expect.stringContaining('issue_refund') },
      { role: 'user', content: 'hello there' },
    ]);
    expect(request.body.tools).toEqual([
      {
        type: 'function',
        function: expect.objectContaining({
          name: 'issue_refund',
          description: expect.stringContaining('Refund an order'),
          parameters: expect.objectContaining({
            type: 'object',
            properties: {
              order_id: expect.objectContaining({ type: 'string' }),
              amount: expect.objectContaining({ type: 'number' }),
            },
            required: expect.arrayContaining(['order_id', 'amount']),
          }),
        }),
      },
    ]);
  });

  it('sends the earlier conversation with the next message on the thread', async () => {
    await chat('my name is Alice', 'oa-memory');
    const second = await chat('what did I say?', 'oa-memory');
    expect(contents(second).join('')).toBe(FAKE_REPLY);

    const [request] = requestsFor('what did I say?');
    expect(request.body.messages).toEqual([
      { role: 'system', content: expect.any(String) },
      { role: 'user', content: 'my name is Alice' },
      { role: 'assistant', content: FAKE_REPLY },
      { role: 'user', content: 'what did I say?' },
    ]);
    expect((await thread('oa-memory')).messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it("pauses on the model's refund tool call with an interrupt carrying its arguments", async () => {
    const data = await chat('please refund order ORD-77, it was $42.50', 'oa-refund');
    expect(data[data.length - 1]).toBe('[DONE]');
    // The text before the tool call streams; the tool call's argument deltas make no frames.
    expect(contents(data).join('')).toBe(FAKE_REFUND_PREAMBLE);
    const interrupt = data[data.length - 2] as { interrupt: boolean; interrupts: { id: string; value: any }[] };
    expect(interrupt.interrupt).toBe(true);
    expect(interrupt.interrupts).toHaveLength(1);
    expect(interrupt.interrupts[0].value).toEqual({
      action: 'issue_refund',
      args: FAKE_REFUND_ARGS,
      description: 'Refund $42.50 for order ORD-77',
    });

    const view = await thread('oa-refund');
    expect(view.status).toBe('interrupted');
    expect(view.interrupts).toEqual([{ id: interrupt.interrupts[0].id, value: interrupt.interrupts[0].value }]);
    const last = view.messages[view.messages.length - 1];
    expect(last).toMatchObject({
      role: 'assistant',
      content: FAKE_REFUND_PREAMBLE,
      tool_calls: [{ id: expect.stringMatching(/^call_fake_/), name: 'issue_refund', args: FAKE_REFUND_ARGS }],
    });
    // The model was asked once: the run stopped at the tool, before a second model call.
    expect(requestsFor('please refund order ORD-77, it was $42.50')).toHaveLength(1);
  });

  it('tells the model a refund left pending was not done when the user writes again', async () => {
    const first = await chat('refund order ORD-77 please', 'oa-moved-on');
    expect(first[first.length - 2]).toMatchObject({ interrupt: true });
    const callId = (await thread('oa-moved-on')).messages[1].tool_calls[0].id;

    // OpenAI answers 400 to a tool call without a tool result after it; the thread holds one.
    const second = await chat('never mind, how are you?', 'oa-moved-on');
    expect(second.filter((d) => typeof d === 'object' && 'error' in d)).toEqual([]);
    expect(contents(second).join('')).toBe(FAKE_REPLY);
    const [request] = requestsFor('never mind, how are you?');
    expect(request.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'refund order ORD-77 please' },
      expect.objectContaining({ role: 'assistant', tool_calls: [expect.objectContaining({ id: callId })] }),
      { role: 'tool', tool_call_id: callId, name: 'issue_refund', content: expect.stringMatching(/not done/i) },
      { role: 'user', content: 'never mind, how are you?' },
    ]);
    // What the model was told is not written to the thread.
    const view = await thread('oa-moved-on');
    expect(view).toMatchObject({ status: 'idle', interrupts: [] });
    expect(view.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('contacts no host but Riser and the configured base URL', () => {
    const urls = fetchSpy.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input));
    expect(urls.filter((u) => u.startsWith(openai.baseUrl)).length).toBe(openai.completions().length);
    expect(urls.filter((u) => !u.startsWith(riser.url) && !u.startsWith(openai.baseUrl))).toEqual([]);
  });
});

describe('demo agent with a wrong OPENAI_API_KEY', () => {
  let openai: FakeOpenAI;
  let riser: RiserTestApp;

  beforeAll(async () => {
    openai = await startFakeOpenAI({ apiKey: 'sk-the-right-key' });
    riser = await startRiser({ env: { OPENAI_API_KEY: 'sk-a-wrong-key-0000', OPENAI_BASE_URL: openai.baseUrl, OPENAI_MODEL: 'fake-model' } });
  });
  afterAll(async () => {
    await riser?.destroy();
    await openai?.close();
  });

  it('ends the run at once with an error frame, without retrying', async () => {
    const token = riser.token('bob', { tenant: 'acme' });
    const res = await openSse(`${riser.url}/chat/stream`, { headers: { authorization: `Bearer ${token}` }, body: { message: 'hello', thread_id: 'bad-key' } });
    const data = frameData(await res.collect()) as Frame[];
    expect(data).toEqual([
      { thread_id: 'bad-key', run_id: expect.any(String) },
      { error: 'graph_error', message: expect.any(String) },
      '[DONE]',
    ]);
    expect(JSON.stringify(data)).not.toContain('sk-a-wrong-key-0000');
    expect(openai.completions()).toHaveLength(1);
    const view: any = await (await fetch(`${riser.url}/chat/threads/bad-key`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(view.status).toBe('error');
  });
});
