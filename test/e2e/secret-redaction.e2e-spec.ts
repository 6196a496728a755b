import { resolve } from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { bearer, connectChat, frameData, openSse, request, runMessages } from '@riser/testing';
import { startRiser, type RiserTestApp } from '../support/riser.js';

const LEAKED = ['hunter2', 'sk-live-ABCDEFGHIJKLMNOPQRSTU', 'db.internal'];

/**
 * A graph whose error quotes a connection string and a key (test/fixtures/graphs/leaky.mjs):
 * what every protocol tells its client names the failure with the credentials redacted.
 */
describe('credentials in a graph’s error never reach a client', () => {
  let riser: RiserTestApp;
  let token: string;
  const expectRedacted = (text: string) => {
    expect(text).toContain('[redacted]');
    for (const secret of LEAKED) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    riser = await startRiser({ env: { LANGGRAPH_JSON: resolve(__dirname, '../fixtures/langgraph.json') } });
    token = riser.token('lea', { tenant: 'acme' });
  });
  afterAll(() => riser.destroy());

  it('the simple protocol’s error frame', async () => {
    const frames = frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'hi', assistant_id: 'leaky' } })).collect());
    const error = frames.find((f) => typeof f === 'object' && (f as { error?: string }).error) as { error: string; message: string };
    expect(error.error).toBe('graph_error');
    expect(error.message).toMatch(/^GraphLeakError: could not reach postgres:\/\/\[redacted\]/);
    expectRedacted(error.message);
  });

  it('the socket’s error message', async () => {
    const socket = await connectChat(riser.url, token);
    try {
      let runId: string | undefined;
      const messages = runMessages(socket, () => runId);
      runId = (await request(socket, 'chat', { message: 'hi', assistant_id: 'leaky' })).run_id;
      const error = (await messages).find((m) => m.error)!;
      expectRedacted(error.message);
    } finally {
      socket.close();
    }
  });

  it('the Platform API: the stream’s error event, runs.wait and the run read back (official SDK)', async () => {
    const client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(token) });
    const thread = await client.threads.create();
    const parts: { event: string; data: any }[] = [];
    for await (const part of client.runs.stream(thread.thread_id, 'leaky', { input: { messages: [{ role: 'user', content: 'hi' }] } })) parts.push(part);
    const error = parts.find((p) => p.event === 'error')!;
    expectRedacted(error.data.message);

    // runs.wait answers {__error__}, which the SDK throws with its message.
    const waited = await client.runs.wait(thread.thread_id, 'leaky', { input: { messages: [{ role: 'user', content: 'again' }] } }).catch((err: Error) => err);
    expect(waited).toBeInstanceOf(Error);
    expectRedacted((waited as Error).message);
    const runs = await client.runs.list(thread.thread_id);
    const record = (await fetch(`${riser.url}/threads/${thread.thread_id}/runs/${runs[0].run_id}`, { headers: bearer(token) }).then((r) => r.json())) as any;
    expectRedacted(record.error.message);
  });
});
