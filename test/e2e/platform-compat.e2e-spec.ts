import { resolve } from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { bearer, jsonClient } from '@riser/testing';
import { until } from '../support/wait.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

type Part = { id?: string; event: string; data: any };

async function collect(stream: AsyncIterable<Part>): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const lastAiText = (values: any) => (values?.messages ?? []).filter((m: any) => m.type === 'ai').pop()?.content;
const FIXTURES = resolve(__dirname, '../fixtures/langgraph.json');

/**
 * What a team moving off LangGraph Platform meets with its graphs and clients unchanged:
 * each case is a difference from the official server found in issue 15, driven with the
 * official JS SDK (the Python SDK's own suite is platform-python-sdk).
 */
describe('Platform API: behaviours of the official server', () => {
  let riser: RiserTestApp;
  let client: Client;
  let api: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    riser = await startRiser({
      env: {
        DEMO_TOKEN_DELAY_MS: '25',
        // The langgraph.json by its new name, the per-graph defaults by the official one.
        LANGGRAPH_JSON: FIXTURES,
        LANGGRAPH_CONFIG: JSON.stringify({ configured_factory: { configurable: { model: 'small', greeting: 'hello' }, context: { tone: 'dry' } } }),
      },
    });
    const token = riser.token('alice', { tenant: 'acme' });
    client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(token) });
    api = jsonClient(riser.url, bearer(token));
  });
  afterAll(() => riser.destroy());

  it('calls a factory graph with the run’s merged config: LANGGRAPH_CONFIG’s defaults, then the run’s own, with the run’s ids and metadata', async () => {
    const thread = await client.threads.create();
    const values: any = await client.runs.wait(thread.thread_id, 'configured_factory', {
      input: { messages: [{ role: 'user', content: 'which model?' }] },
      config: { configurable: { model: 'large' } },
      context: { audience: 'ops' },
      metadata: { team: 'payments' },
    });
    const reply = JSON.parse(lastAiText(values));
    const [run] = await client.runs.list(thread.thread_id);
    expect(reply.factory).toEqual({ model: 'large', greeting: 'hello', thread_id: thread.thread_id, run_id: run.run_id, team: 'payments' });
    expect(reply.context).toEqual({ tone: 'dry', audience: 'ops' });

    // Without a config of its own, the run builds the graph's default.
    const other: any = await client.runs.wait(thread.thread_id, 'configured_factory', { input: { messages: [{ role: 'user', content: 'and now?' }] } });
    expect(JSON.parse(lastAiText(other)).factory).toMatchObject({ model: 'small', greeting: 'hello' });
    // The graph's system assistant shows those defaults as its config and context.
    const assistant = await client.assistants.get('configured_factory');
    expect(assistant.config).toEqual({ configurable: { model: 'small', greeting: 'hello' } });
    expect(assistant.context).toEqual({ tone: 'dry' });
  });

  it('serves a graph module that takes getLogger() of @langchain/langgraph-sdk/logging at import', async () => {
    const values: any = await client.runs.wait(null, 'logged', { input: { messages: [{ role: 'user', content: 'log it' }] } });
    expect(lastAiText(values)).toBe('logged');
  });

  it('writes run metadata into checkpoint metadata: history filtered by it, and before a checkpoint given as a config or a Checkpoint', async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'first' }] }, metadata: { phase: 'one' } });
    await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'second' }] }, metadata: { phase: 'two' } });
    const all = await client.threads.getHistory(thread.thread_id, { limit: 50 });
    const one = await client.threads.getHistory(thread.thread_id, { limit: 50, metadata: { phase: 'one' } });
    const two = await client.threads.getHistory(thread.thread_id, { limit: 50, metadata: { phase: 'two' } });
    expect(one.length).toBeGreaterThan(1);
    expect(two.length).toBeGreaterThan(1);
    expect(one.length + two.length).toBe(all.length);
    expect(one.every((s) => (s.metadata as any).phase === 'one')).toBe(true);
    expect(await client.threads.getHistory(thread.thread_id, { metadata: { phase: 'three' } })).toEqual([]);
    // GET history takes metadata as JSON too.
    const viaGet = await api.get(`/threads/${thread.thread_id}/history?limit=50&metadata=${encodeURIComponent(JSON.stringify({ phase: 'two' }))}`);
    expect(viaGet.body.map((s: any) => s.checkpoint.checkpoint_id)).toEqual(two.map((s) => s.checkpoint.checkpoint_id));
    expect((await api.get(`/threads/${thread.thread_id}/history?metadata=nope`)).status).toBe(422);

    // `before`: a config (JS SDK), a Checkpoint (Python SDK) or an id answer the same page.
    const pivot = all[2].checkpoint;
    const expected = all.slice(3, 5).map((s) => s.checkpoint.checkpoint_id);
    const byConfig = await client.threads.getHistory(thread.thread_id, { limit: 2, before: { configurable: { checkpoint_id: pivot.checkpoint_id } } });
    const byCheckpoint = await api.post(`/threads/${thread.thread_id}/history`, { limit: 2, before: pivot });
    const byId = await api.post(`/threads/${thread.thread_id}/history`, { limit: 2, before: pivot.checkpoint_id });
    expect(byConfig.map((s) => s.checkpoint.checkpoint_id)).toEqual(expected);
    expect(byCheckpoint.body.map((s: any) => s.checkpoint.checkpoint_id)).toEqual(expected);
    expect(byId.body.map((s: any) => s.checkpoint.checkpoint_id)).toEqual(expected);
  });

  it('answers a state update as a node that does not exist (or values the graph refuses) with 422 and LangGraph’s reason, not 500', async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'hi' }] } });
    const before = await client.threads.getState(thread.thread_id);
    const unknown = await api.post(`/threads/${thread.thread_id}/state`, { values: { messages: [{ role: 'ai', content: 'x' }] }, as_node: 'no_such_node' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: 'invalid_update', message: expect.stringContaining('no_such_node'), graph_error: 'InvalidUpdateError' });
    const notAMessage = await api.post(`/threads/${thread.thread_id}/state`, { values: { messages: [{ nonsense: true }] }, as_node: 'agent' });
    expect(notAMessage.status).toBe(422);
    expect(notAMessage.body.error).toBe('invalid_update');
    // An update into a checkpoint namespace that names no subgraph.
    const ns = await api.post(`/threads/${thread.thread_id}/state`, { values: { messages: [] }, as_node: 'agent', checkpoint: { checkpoint_ns: 'nowhere:1' } });
    expect(ns.status).toBe(404);
    expect(ns.body.error).toBe('subgraph_not_found');
    // Nothing was written.
    expect((await client.threads.getState(thread.thread_id)).checkpoint.checkpoint_id).toBe(before.checkpoint.checkpoint_id);
  });

  it('multitask rollback deletes the rolled-back run and what it wrote, whether it was running or still pending', async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'kept' }] } });
    const before = await client.threads.getState(thread.thread_id);
    const first = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'a long answer that will be rolled back' }] } });
    await until(async () => (await client.threads.getState(thread.thread_id)).checkpoint.checkpoint_id, (id) => id !== before.checkpoint.checkpoint_id, 5000);
    const second = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'instead' }] }, multitaskStrategy: 'rollback' });
    await client.runs.join(thread.thread_id, second.run_id);
    await expect(client.runs.get(thread.thread_id, first.run_id)).rejects.toThrow(/404/);
    expect((await client.runs.list(thread.thread_id)).map((r) => r.run_id)).not.toContain(first.run_id);
    const humans = ((await client.threads.getState(thread.thread_id)).values as any).messages.filter((m: any) => m.type === 'human').map((m: any) => m.content);
    expect(humans).toEqual(['kept', 'instead']);

    // A delayed run that has not started yet: deleted at once.
    const pending = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'later' }] }, afterSeconds: 60 });
    const third = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'now' }] }, multitaskStrategy: 'rollback' });
    await client.runs.join(thread.thread_id, third.run_id);
    await expect(client.runs.get(thread.thread_id, pending.run_id)).rejects.toThrow(/404/);
  });

  it('sends debug checkpoints with checkpoint and parent_checkpoint, as the official server', async () => {
    const thread = await client.threads.create();
    const parts = await collect(client.runs.stream(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'debug me' }] }, streamMode: ['debug'] }) as AsyncIterable<Part>);
    const checkpoints = parts.filter((p) => p.event === 'debug' && p.data.type === 'checkpoint').map((p) => p.data.payload);
    expect(checkpoints.length).toBeGreaterThan(1);
    for (const c of checkpoints) {
      expect(c.checkpoint).toEqual({ thread_id: thread.thread_id, checkpoint_ns: '', checkpoint_id: expect.any(String), checkpoint_map: null });
      expect(c.config.configurable.checkpoint_id).toBe(c.checkpoint.checkpoint_id);
      expect(c).not.toHaveProperty('parentConfig');
      expect(Object.keys(c.config.configurable).filter((k) => k.startsWith('__'))).toEqual([]);
    }
    expect(checkpoints[0].parent_checkpoint).toBeNull();
    // Each checkpoint's parent is the one before it.
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i].parent_checkpoint.checkpoint_id).toBe(checkpoints[i - 1].checkpoint.checkpoint_id);
    const state = await client.threads.getState(thread.thread_id);
    expect(checkpoints[checkpoints.length - 1].checkpoint.checkpoint_id).toBe(state.checkpoint.checkpoint_id);
  });

  it('lists a graph’s subgraphs with their schemas, by namespace', async () => {
    expect(await client.assistants.getSubgraphs('with_subgraph')).toEqual({
      delegate: { input_schema: null, output_schema: null, state_schema: null, config_schema: null, context_schema: null },
    });
    expect(Object.keys(await client.assistants.getSubgraphs('with_subgraph', { namespace: 'delegate' }))).toEqual(['delegate']);
    expect(await client.assistants.getSubgraphs('agent')).toEqual({});
  });

  it('accepts the fields the official clients send (Python’s raise_error, sort_by state_updated_at), ignoring those with no meaning here', async () => {
    const thread = await client.threads.create();
    const waited = await api.post(`/threads/${thread.thread_id}/runs/wait`, {
      assistant_id: 'agent',
      input: { messages: [{ role: 'user', content: 'as the Python sync client sends it' }] },
      raise_error: true,
      stream_resumable: false,
      durability: 'async',
      checkpoint_during: true,
      on_disconnect: 'continue',
    });
    expect(waited.status).toBe(200);
    expect(lastAiText(waited.body)).toContain('as the Python sync client sends it');
    const found = await api.post('/threads/search', { sort_by: 'state_updated_at', sort_order: 'desc', limit: 1 });
    expect(found.status).toBe(200);
    expect(found.body[0].thread_id).toBe(thread.thread_id);
  });

  it('join with cancel_on_disconnect cancels the run when the client goes away', async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'a reply long enough to leave before its end, word after word after word' }] } });
    const controller = new AbortController();
    const joining = fetch(`${riser.url}/threads/${thread.thread_id}/runs/${run.run_id}/join?cancel_on_disconnect=1`, { headers: bearer(riser.token('alice', { tenant: 'acme' })), signal: controller.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    await joining;
    await until(async () => (await client.runs.get(thread.thread_id, run.run_id)).status, (status) => status === 'interrupted', 5000);
    // Without it, a join that goes away changes nothing.
    const kept = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'keep going' }] } });
    const leaving = new AbortController();
    const left = fetch(`${riser.url}/threads/${thread.thread_id}/runs/${kept.run_id}/join`, { headers: bearer(riser.token('alice', { tenant: 'acme' })), signal: leaving.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    leaving.abort();
    await left;
    await client.runs.join(thread.thread_id, kept.run_id);
    expect((await client.runs.get(thread.thread_id, kept.run_id)).status).toBe('success');
  });

  it('names a failed graph’s exception class in the error event, runs.wait and the run; GRAPH_ERROR_DETAIL=class keeps the message back', async () => {
    const thread = await client.threads.create();
    const parts = await collect(client.runs.stream(thread.thread_id, 'leaky', { input: { messages: [{ role: 'user', content: 'x' }] } }) as AsyncIterable<Part>);
    expect(parts.find((p) => p.event === 'error')!.data).toEqual({ error: 'GraphLeakError', message: expect.stringMatching(/^could not reach postgres:\/\/\[redacted\]/) });
    const waited = await api.post(`/threads/${thread.thread_id}/runs/wait`, { assistant_id: 'leaky', input: { messages: [] } });
    expect(waited.body.__error__).toEqual({ error: 'GraphLeakError', message: expect.stringMatching(/^could not reach postgres:\/\/\[redacted\]/) });
    const [run] = await client.runs.list(thread.thread_id);
    expect((run as any).error).toEqual(waited.body.__error__);

    const terse = await startRiser({ databaseUrl: riser.databaseUrl, env: { JWT_SECRET: riser.env.JWT_SECRET, LANGGRAPH_JSON: FIXTURES, GRAPH_ERROR_DETAIL: 'class' } });
    try {
      const sdk = new Client({ apiUrl: terse.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
      const other = await sdk.threads.create();
      const failed = await collect(sdk.runs.stream(other.thread_id, 'leaky', { input: { messages: [] } }) as AsyncIterable<Part>);
      expect(failed.find((p) => p.event === 'error')!.data).toEqual({ error: 'GraphLeakError', message: 'the graph failed (GraphLeakError)' });
    } finally {
      await terse.close();
    }
  });
});

describe('LANGGRAPH_CONFIG as the path of langgraph.json (deprecated)', () => {
  it('still serves the graphs it names', async () => {
    const riser = await startRiser({ env: { LANGGRAPH_CONFIG: FIXTURES } });
    try {
      const client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
      expect((await client.assistants.search({ graphId: 'configured_factory' })).map((a) => a.graph_id)).toEqual(['configured_factory']);
    } finally {
      await riser.destroy();
    }
  });
});
