import { resolve } from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { StreamOrchestrator } from '@langchain/langgraph-sdk/ui';
import { bearer, connectChat, frameData, jsonClient, openSse, request, runMessages } from '@riser/testing';
import { hashApiKey } from '@riser/auth';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { until } from '../support/wait.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

type Part = { id?: string; event: string; data: any };

async function collect(stream: AsyncIterable<Part>): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const lastAiText = (values: any) => {
  const messages = values?.messages ?? [];
  return messages.filter((m: any) => m.type === 'ai').pop()?.content;
};

describe('the official @langchain/langgraph-sdk Client against Riser', () => {
  let riser: RiserTestApp;
  let client: Client;
  const apiKey = 'rsk_platform_test_key_123456789';

  beforeAll(async () => {
    riser = await startRiser({
      env: {
        DEMO_TOKEN_DELAY_MS: '2',
        LANGGRAPH_JSON: resolve(__dirname, '../fixtures/langgraph.json'),
        API_KEYS: `sha256:${hashApiKey(apiKey)}=svc@acme`,
      },
    });
    client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
  });
  afterAll(() => riser.destroy());

  it('lists one assistant per graph, with the official deterministic ids', async () => {
    const assistants = await client.assistants.search();
    const agent = assistants.find((a) => a.graph_id === 'agent')!;
    expect(agent.assistant_id).toBe('fe096781-5601-53d2-b2f6-0d3403f7e9ca');
    expect(assistants.map((a) => a.graph_id)).toEqual(expect.arrayContaining(['agent', 'with_subgraph', 'failing']));
    expect(await client.assistants.get(agent.assistant_id)).toMatchObject({ graph_id: 'agent' });
    const graph = await client.assistants.getGraph('agent');
    expect(graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['agent', 'tools']));

    // JSON schemas from a graph's zod schemas; an Annotation graph has none to give.
    const schemas = await client.assistants.getSchemas('zod_counter');
    expect(schemas.state_schema).toMatchObject({
      type: 'object',
      properties: { count: { type: 'number', description: 'how many times the node ran' }, note: { type: 'string' } },
    });
    expect(schemas.output_schema).toMatchObject({ required: ['count'] });
    expect(schemas.config_schema).toMatchObject({ properties: { step: { type: 'number' } } });
    expect(schemas.context_schema).toEqual(schemas.config_schema);
    expect(await client.assistants.getSchemas(agent.assistant_id)).toMatchObject({ graph_id: 'agent', state_schema: null, input_schema: null });
  });

  it('streams messages-tuple, values and updates; pauses at the interrupt; resumes with command.resume', async () => {
    const thread = await client.threads.create({ metadata: { topic: 'refunds' } });
    expect(thread).toMatchObject({ status: 'idle', metadata: { topic: 'refunds' } });

    const parts = await collect(
      client.runs.stream(thread.thread_id, 'agent', {
        input: { messages: [{ role: 'user', content: 'refund order Z-9 $15' }] },
        streamMode: ['messages-tuple', 'values', 'updates'],
      }) as AsyncIterable<Part>,
    );
    expect(parts[0]).toMatchObject({ event: 'metadata', data: { run_id: expect.any(String), attempt: 1 } });
    const ids = parts.map((p) => Number(p.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const tuples = parts.filter((p) => p.event === 'messages');
    expect(tuples.length).toBeGreaterThan(5);
    for (const { data } of tuples) {
      expect(data).toHaveLength(2);
      expect(data[0]).toMatchObject({ type: 'ai', id: expect.any(String) });
      expect(data[1]).toMatchObject({ langgraph_node: 'agent', thread_id: thread.thread_id });
    }
    expect(tuples.map((p) => p.data[0].content).join('')).toContain('Requesting approval to refund $15.00 for order Z-9');
    expect(tuples.some((p) => p.data[0].tool_call_chunks?.length)).toBe(true);
    const updates = parts.filter((p) => p.event === 'updates');
    expect(updates.map((p) => Object.keys(p.data)[0])).toEqual(['agent', '__interrupt__']);
    const interrupt = updates[1].data.__interrupt__[0];
    expect(interrupt).toMatchObject({ id: expect.any(String), value: { action: 'issue_refund', args: { order_id: 'Z-9', amount: 15 } } });
    expect(parts.filter((p) => p.event === 'values').pop()!.data).toEqual({ __interrupt__: [interrupt] });
    expect(parts[parts.length - 1].event).toBe('end');

    const paused = await client.threads.get(thread.thread_id);
    expect(paused.status).toBe('interrupted');
    expect(Object.values(paused.interrupts).flat()).toEqual([interrupt]);
    const state = await client.threads.getState(thread.thread_id);
    expect(state.next).toEqual(['tools']);
    expect(state.tasks[0].interrupts).toEqual([interrupt]);
    expect(state.checkpoint).toMatchObject({ thread_id: thread.thread_id, checkpoint_id: expect.any(String) });

    const resumed = await collect(
      client.runs.stream(thread.thread_id, 'agent', { command: { resume: { decision: 'approve' } }, streamMode: ['values'] }) as AsyncIterable<Part>,
    );
    const final = resumed.filter((p) => p.event === 'values').pop()!.data;
    expect(lastAiText(final)).toBe('Done. Refund issued: $15.00 for order Z-9.');
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle');

    const history = await client.threads.getHistory(thread.thread_id, { limit: 50 });
    expect(history.length).toBeGreaterThan(4);
    expect(history[0].checkpoint.checkpoint_id).toBe((await client.threads.getState(thread.thread_id)).checkpoint.checkpoint_id);
    expect(history.every((h) => h.checkpoint.thread_id === thread.thread_id)).toBe(true);
    const older = await client.threads.getState(thread.thread_id, history[3].checkpoint);
    expect(older.checkpoint.checkpoint_id).toBe(history[3].checkpoint.checkpoint_id);

    const runs = await client.runs.list(thread.thread_id);
    expect(runs.map((r) => r.status)).toEqual(['success', 'success']);
    expect(runs[0].assistant_id).toBe('fe096781-5601-53d2-b2f6-0d3403f7e9ca');
  });

  it('waits for a run, searches threads (only the caller’s), and hides other principals’ threads', async () => {
    const thread = await client.threads.create({ metadata: { kind: 'wait-test' } });
    const values: any = await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'just wait' }] } });
    expect(lastAiText(values)).toContain('You said "just wait"');
    const found = await client.threads.search({ metadata: { kind: 'wait-test' } });
    expect(found.map((t) => t.thread_id)).toEqual([thread.thread_id]);

    const bob = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token('bob', { tenant: 'acme' })) });
    expect(await bob.threads.search({ metadata: { kind: 'wait-test' } })).toEqual([]);
    await expect(bob.threads.get(thread.thread_id)).rejects.toThrow(/404/);
    await expect(bob.threads.getState(thread.thread_id)).rejects.toThrow(/404/);

    // The SDK's default header for API keys.
    const service = new Client({ apiUrl: riser.url, apiKey });
    const own = await service.threads.create();
    expect((await service.threads.get(own.thread_id)).thread_id).toBe(own.thread_id);
  });

  it('manages threads as the SDK does: /ok and /info, if_exists, metadata updates, state updates as a node, delete', async () => {
    expect(await (await fetch(`${riser.url}/ok`)).json()).toEqual({ ok: true });
    expect((await fetch(`${riser.url}/info`)).status).toBe(200);

    const threadId = crypto.randomUUID();
    const created = await client.threads.create({ threadId, metadata: { owner: 'team-a' }, ifExists: 'raise' });
    expect(created).toMatchObject({ thread_id: threadId, status: 'idle', metadata: { owner: 'team-a' } });
    await expect(client.threads.create({ threadId, ifExists: 'raise' })).rejects.toThrow(/409/);
    expect(await client.threads.create({ threadId, metadata: { owner: 'other' }, ifExists: 'do_nothing' })).toMatchObject({ metadata: { owner: 'team-a' } });

    expect(await client.threads.update(threadId, { metadata: { stage: 'review' } })).toMatchObject({ metadata: { owner: 'team-a', stage: 'review' } });
    expect((await client.threads.get(threadId)).metadata).toMatchObject({ owner: 'team-a', stage: 'review' });

    await client.runs.wait(threadId, 'agent', { input: { messages: [{ role: 'user', content: 'first words' }] } });
    const before = await client.threads.getState(threadId);
    // The official server answers {checkpoint}; the SDK's type says {configurable}.
    const updated = (await client.threads.updateState(threadId, { values: { messages: [{ role: 'ai', content: 'written by an operator' }] }, asNode: 'agent' })) as unknown as {
      checkpoint: { checkpoint_id: string };
    };
    const after = await client.threads.getState(threadId);
    expect(after.checkpoint.checkpoint_id).toBe(updated.checkpoint.checkpoint_id);
    expect(after.checkpoint.checkpoint_id).not.toBe(before.checkpoint.checkpoint_id);
    expect(lastAiText(after.values)).toBe('written by an operator');
    expect((after.values as any).messages).toHaveLength((before.values as any).messages.length + 1);
    expect(after.metadata).toMatchObject({ source: 'update' });

    await client.threads.delete(threadId);
    await expect(client.threads.get(threadId)).rejects.toThrow(/404/);
    await expect(client.threads.getState(threadId)).rejects.toThrow(/404/);
  });

  it('runs with interrupt_before, command update + goto, the legacy messages mode, Last-Event-ID -1, and deletes a run', async () => {
    const thread = await client.threads.create();
    // A breakpoint before the tools node: the run stops there, with no interrupt value.
    await client.runs.wait(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'refund order B-4 $8' }] }, interruptBefore: ['tools'] });
    const paused = await client.threads.getState(thread.thread_id);
    expect(paused.next).toEqual(['tools']);
    expect(paused.tasks[0].interrupts).toEqual([]);
    expect((await client.threads.get(thread.thread_id)).status).toBe('interrupted');
    // Going on (no input) runs the tool, which asks for approval.
    await client.runs.wait(thread.thread_id, 'agent', { input: null });
    const asking = await client.threads.getState(thread.thread_id);
    expect(asking.tasks[0].interrupts[0].value).toMatchObject({ action: 'issue_refund', args: { order_id: 'B-4', amount: 8 } });

    // command.update + goto: a message written into the state, then the agent node runs on it.
    const other = await client.threads.create();
    await client.runs.wait(other.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'hello' }] } });
    const jumped: any = await client.runs.wait(other.thread_id, 'agent', {
      command: { update: { messages: [{ role: 'user', content: 'jump straight to the agent' }] }, goto: 'agent' },
    });
    expect(lastAiText(jumped)).toContain('jump straight to the agent');

    // A run from an earlier checkpoint (editing the conversation): it branches from there.
    const edited = await client.threads.create();
    await client.runs.wait(edited.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'first question' }] } });
    await client.runs.wait(edited.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'second question' }] } });
    const history = await client.threads.getHistory(edited.thread_id, { limit: 50 });
    const afterFirst = history.find((h) => (h.values as any).messages?.length === 2 && h.next.length === 0)!;
    const branched: any = await client.runs.wait(edited.thread_id, 'agent', {
      input: { messages: [{ role: 'user', content: 'a different second question' }] },
      checkpoint: afterFirst.checkpoint,
    });
    expect(branched.messages.map((m: any) => m.content)).toEqual([
      'first question',
      (afterFirst.values as any).messages[1].content,
      'a different second question',
      expect.stringContaining('a different second question'),
    ]);

    // Legacy "messages": metadata once per message, growing partials, complete messages.
    const legacy = await collect(
      client.runs.stream(other.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'the old way' }] }, streamMode: 'messages' }) as AsyncIterable<Part>,
    );
    const partials = legacy.filter((p) => p.event === 'messages/partial').map((p) => p.data[0]);
    expect(legacy.filter((p) => p.event === 'messages/metadata').length).toBeGreaterThanOrEqual(1);
    expect(partials.length).toBeGreaterThan(3);
    expect(partials[1].content.startsWith(partials[0].content)).toBe(true);
    const completed = legacy.filter((p) => p.event === 'messages/complete').flatMap((p) => p.data);
    const finalAi = completed.filter((m: any) => m.type === 'ai').pop();
    expect(finalAi.content).toBe(partials[partials.length - 1].content);
    expect(finalAi.content).toContain('the old way');

    // Last-Event-ID -1: the whole run again, from its first event.
    const runs = await client.runs.list(other.thread_id);
    const latest = runs[0];
    const replay = await collect(client.runs.joinStream(other.thread_id, latest.run_id, { lastEventId: '-1', streamMode: ['values'] }) as AsyncIterable<Part>);
    expect(replay[0]).toMatchObject({ id: '1', event: 'metadata' });
    expect(replay[replay.length - 1].event).toBe('end');

    await client.runs.delete(other.thread_id, latest.run_id);
    await expect(client.runs.get(other.thread_id, latest.run_id)).rejects.toThrow(/404/);
    expect((await client.runs.list(other.thread_id)).map((r) => r.run_id)).not.toContain(latest.run_id);
  });

  it('streams stateless runs, a graph failure as an error event, resumes by interrupt id, and answers GET history', async () => {
    const stateless = await collect(
      client.runs.stream(null, 'agent', { input: { messages: [{ role: 'user', content: 'no thread needed' }] }, streamMode: 'values' }) as AsyncIterable<Part>,
    );
    expect(stateless.map((p) => p.event)).toEqual(['metadata', ...stateless.slice(1, -1).map(() => 'values'), 'end']);
    expect(lastAiText(stateless[stateless.length - 2].data)).toContain('no thread needed');

    const thread = await client.threads.create();
    const failed = await collect(client.runs.stream(thread.thread_id, 'failing', { input: { messages: [{ role: 'user', content: 'x' }] } }) as AsyncIterable<Part>);
    const error = failed.find((p) => p.event === 'error')!;
    // As the official server: the exception's class and its message, credentials redacted.
    expect(error.data).toEqual({ error: 'Error', message: 'boom: could not reach postgres://[redacted]' });
    expect(JSON.stringify(failed)).not.toContain('hunter2');
    expect((await client.threads.get(thread.thread_id)).status).toBe('error');

    // The raw response: SSE headers, and where the run lives.
    const api = jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' })));
    const asking = (await api.post('/threads', {})).body.thread_id;
    const res = await fetch(`${riser.url}/threads/${asking}/runs/stream`, {
      method: 'POST',
      headers: { ...bearer(riser.token('alice', { tenant: 'acme' })), 'content-type': 'application/json' },
      body: JSON.stringify({ assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'refund order K-5 $6' }] } }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const runId = /^\/threads\/[^/]+\/runs\/([0-9a-f-]{36})$/.exec(res.headers.get('content-location') ?? '')?.[1];
    expect(runId).toBeDefined();
    expect(res.headers.get('location')).toBe(`/threads/${asking}/runs/${runId}/stream`);
    expect(await res.text()).toMatch(/event: end\n/);

    // command.resume as a map keyed by interrupt id.
    const interruptId = (await client.threads.getState(asking)).tasks[0].interrupts[0].id!;
    const done: any = await client.runs.wait(asking, 'agent', { command: { resume: { [interruptId]: { decision: 'approve' } } } });
    expect(lastAiText(done)).toBe('Done. Refund issued: $6.00 for order K-5.');

    const history = await api.get(`/threads/${asking}/history?limit=2`);
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(2);
    expect(history.body[0].checkpoint.checkpoint_id).toBe((await client.threads.getState(asking)).checkpoint.checkpoint_id);
  });

  it('cancels a background run; joins a running stream mid-way (without Last-Event-ID: only what follows the join), from -1 and from an id', async () => {
    const slow = await startRiser({ databaseUrl: riser.databaseUrl, env: { JWT_SECRET: riser.env.JWT_SECRET, DEMO_TOKEN_DELAY_MS: '40' } });
    try {
      const sdk = new Client({ apiUrl: slow.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
      const thread = await sdk.threads.create();
      const run = await sdk.runs.create(thread.thread_id, 'agent', {
        input: { messages: [{ role: 'user', content: 'a long reply to join' }] },
        streamMode: ['messages-tuple', 'values'],
      });
      expect(run.status).toBe('running');
      // Last-Event-ID -1: the whole run, from its metadata on.
      const everything = (sdk.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: '-1' }) as AsyncIterable<Part>)[Symbol.asyncIterator]();
      const joined: Part[] = [];
      while (joined.filter((p) => p.event === 'messages').length < 5) joined.push((await everything.next()).value);
      const seenBeforeJoin = Number(joined[joined.length - 1].id);
      // No Last-Event-ID, mid-run: only what happens after the join (the official semantics).
      const late = await collect(sdk.runs.joinStream(thread.thread_id, run.run_id) as AsyncIterable<Part>);
      for (let next = await everything.next(); !next.done; next = await everything.next()) joined.push(next.value);
      expect(joined[0].event).toBe('metadata');
      expect(joined.filter((p) => p.event === 'messages').length).toBeGreaterThan(10);
      expect(late.length).toBeGreaterThan(0);
      expect(late.some((p) => p.event === 'metadata')).toBe(false);
      expect(Number(late[0].id)).toBeGreaterThan(seenBeforeJoin);
      expect(late.map((p) => p.id)).toEqual(joined.filter((p) => Number(p.id) >= Number(late[0].id)).map((p) => p.id));
      const fromFive = await collect(sdk.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: '5' }) as AsyncIterable<Part>);
      expect(fromFive[0].id).toBe('6');
      expect(fromFive.map((p) => p.id)).toEqual(joined.filter((p) => Number(p.id) > 5).map((p) => p.id));
      expect(await sdk.runs.join(thread.thread_id, run.run_id)).toMatchObject({ messages: expect.any(Array) });

      const doomed = await sdk.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'never mind' }] } });
      await sdk.runs.cancel(thread.thread_id, doomed.run_id, true);
      expect((await sdk.runs.get(thread.thread_id, doomed.run_id)).status).toBe('interrupted');
      expect((await sdk.threads.get(thread.thread_id)).status).toBe('idle');

      // action=rollback: what the cancelled run wrote is gone; the thread is as it was before it.
      const before = await sdk.threads.getState(thread.thread_id);
      const undone = await sdk.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'take this back' }] } });
      await until(async () => (await sdk.threads.getState(thread.thread_id)).checkpoint.checkpoint_id, (id) => id !== before.checkpoint.checkpoint_id, 5000);
      await sdk.runs.cancel(thread.thread_id, undone.run_id, true, 'rollback');
      // As the official server: a rolled-back run is deleted.
      await expect(sdk.runs.get(thread.thread_id, undone.run_id)).rejects.toThrow(/404/);
      const rolledBack = await sdk.threads.getState(thread.thread_id);
      expect(rolledBack.checkpoint.checkpoint_id).toBe(before.checkpoint.checkpoint_id);
      expect(rolledBack.values).toEqual(before.values);
    } finally {
      await slow.close();
    }
  });

  it('refuses unknown and wrong-typed fields with 422 naming the field; a busy thread with 409', async () => {
    const api = jsonClient(riser.url, bearer(riser.token('alice', { tenant: 'acme' })));
    const thread = (await api.post('/threads', {})).body;
    const unknown = await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'agent', input: {}, surprise: 1 });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: 'invalid_request', field: 'surprise' });
    const wrong = await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'agent', stream_mode: 'everything' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.field).toBe('stream_mode');
    expect((await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'nope' })).status).toBe(404);
    const late = await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'agent', after_seconds: 86_401 });
    expect(late.status).toBe(422);
    expect(late.body.field).toBe('after_seconds');
    expect((await api.post('/threads/not-a-thread/runs', { assistant_id: 'agent' })).status).toBe(404);
    expect((await api.post('/runs/batch', [])).body).toMatchObject({ error: 'not_implemented' });
    expect((await api.post('/store/items/search', { query: 'semantic' })).body).toMatchObject({ error: 'invalid_request', field: 'query' });

    // A run says where it lives; while it holds the thread, another is refused with 409.
    const held = await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'agent', input: { messages: [] }, after_seconds: 60 });
    expect(held.status).toBe(200);
    expect(held.headers.get('content-location')).toBe(`/threads/${thread.thread_id}/runs/${held.body.run_id}`);
    const busy = await api.post(`/threads/${thread.thread_id}/runs`, { assistant_id: 'agent', input: { messages: [] } });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ error: 'thread_busy' });
    expect((await api.post(`/threads/${thread.thread_id}/runs/${held.body.run_id}/cancel?wait=true`, {})).status).toBe(204);
    const stateless = await api.post('/runs/wait', { assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(stateless.status).toBe(200);
    expect(stateless.headers.get('content-location')).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
  });

  it('streams custom and subgraph events of a user graph as the official server names them', async () => {
    const thread = await client.threads.create();
    const parts = await collect(
      client.runs.stream(thread.thread_id, 'with_subgraph', {
        input: { messages: [{ role: 'user', content: 'go deep' }] },
        streamMode: ['custom', 'updates', 'messages-tuple'],
        streamSubgraphs: true,
      }) as AsyncIterable<Part>,
    );
    const names = [...new Set(parts.map((p) => p.event.replace(/:[0-9a-f-]{36}/, ':<task>')))];
    expect(names).toEqual(['metadata', 'custom', 'updates', 'custom|delegate:<task>', 'messages|delegate:<task>', 'updates|delegate:<task>', 'end']);
    expect(parts.filter((p) => p.event.startsWith('custom')).map((p) => p.data)).toEqual([{ progress: 'prepared' }, { progress: 'inner started' }]);
    const withoutSubgraphs = await collect(
      client.runs.stream(thread.thread_id, 'with_subgraph', {
        input: { messages: [{ role: 'user', content: 'again' }] },
        streamMode: ['custom', 'updates'],
      }) as AsyncIterable<Part>,
    );
    expect([...new Set(withoutSubgraphs.map((p) => p.event))]).toEqual(['metadata', 'custom', 'updates', 'end']);
  });

  it('streams custom events JSON cannot hold (a BigInt, a cycle) as strings, and the run ends normally', async () => {
    const thread = await client.threads.create();
    const parts = await collect(
      client.runs.stream(thread.thread_id, 'odd_values', { input: { messages: [{ role: 'user', content: 'go' }] }, streamMode: ['custom', 'values'] }) as AsyncIterable<Part>,
    );
    expect(parts.find((p) => p.event === 'custom')?.data).toEqual({ big: '1180591620717411303424', cycle: { name: 'cycle', self: '[Circular]' } });
    expect(parts[parts.length - 1].event).toBe('end');
    expect(lastAiText(parts.filter((p) => p.event === 'values').pop()?.data)).toBe('done');
  });

  it('streams LangChain events (stream_mode "events") and tool events ("tools") beside the graph\'s own modes', async () => {
    const thread = await client.threads.create();
    const parts = await collect(
      client.runs.stream(thread.thread_id, 'agent', {
        input: { messages: [{ role: 'user', content: 'refund order E-1 $9' }] },
        streamMode: ['events', 'tools', 'values', 'checkpoints'],
      }) as AsyncIterable<Part>,
    );
    const runId = parts[0].data.run_id;
    const events = parts.filter((p) => p.event === 'events').map((p) => p.data);
    // The root graph (the demo agent is compiled with the name "agent") starts with the run's id as its run_id.
    expect(events[0]).toMatchObject({ event: 'on_chain_start', name: 'agent', run_id: runId, data: { input: expect.any(Object) } });
    expect(events.every((e) => typeof e.event === 'string' && typeof e.name === 'string' && e.metadata && e.data)).toBe(true);
    // Its stream chunks are the graph's modes, never repeated as events.
    expect(events.filter((e) => e.event === 'on_chain_stream' && e.run_id === runId)).toEqual([]);
    expect(parts.filter((p) => p.event === 'values').length).toBeGreaterThan(1);
    // Every token of the model, as on_chat_model_stream, adds up to the message it wrote.
    const tokens = events.filter((e) => e.event === 'on_chat_model_stream');
    expect(tokens.length).toBeGreaterThan(3);
    const firstReply = parts.filter((p) => p.event === 'values').map((p) => p.data.messages?.find((m: any) => m.type === 'ai')).find(Boolean);
    const firstCall = tokens.filter((e) => e.run_id === tokens[0].run_id);
    expect(firstCall.map((e) => e.data.chunk.content).join('')).toBe(firstReply.content);
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['on_chat_model_start', 'on_chat_model_end', 'on_chain_end']));
    // The refund tool started, then paused the run for approval.
    const tools = parts.filter((p) => p.event === 'tools').map((p) => p.data);
    expect(tools[0]).toMatchObject({ event: 'on_tool_start', name: 'issue_refund', input: expect.anything() });
    // Checkpoints as graph.stream() gives them: streamEvents' callback handlers are not data.
    const checkpoints = parts.filter((p) => p.event === 'checkpoints').map((p) => p.data);
    expect(checkpoints.length).toBeGreaterThan(1);
    for (const c of checkpoints) {
      expect(c.config).not.toHaveProperty('callbacks');
      expect(c.config.configurable).toMatchObject({ thread_id: thread.thread_id, checkpoint_id: expect.any(String) });
    }
    const state = await client.threads.getState(thread.thread_id);
    expect(state.next).toEqual(['tools']);
    expect(parts[parts.length - 1].event).toBe('end');
  });

  it('streams debug, tasks and checkpoints events in the shapes the SDK types promise', async () => {
    const thread = await client.threads.create();
    const parts = await collect(
      client.runs.stream(thread.thread_id, 'agent', {
        input: { messages: [{ role: 'user', content: 'hello there' }] },
        streamMode: ['debug', 'tasks', 'checkpoints'],
      }) as AsyncIterable<Part>,
    );
    const of = (event: string) => parts.filter((p) => p.event === event).map((p) => p.data);
    // TasksStreamEvent: a task starts ({id, name, input, triggers}) then ends ({id, name, result}).
    const tasks = of('tasks');
    expect(tasks[0]).toMatchObject({ id: expect.any(String), name: 'agent', input: expect.any(Object), triggers: expect.any(Array) });
    expect(tasks.find((t) => t.id === tasks[0].id && 'result' in t)).toMatchObject({ name: 'agent', result: expect.anything() });
    // CheckpointsStreamEvent: {values, next, config, metadata, tasks}.
    const checkpoints = of('checkpoints');
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    for (const c of checkpoints) {
      expect(c).toMatchObject({ values: expect.any(Object), next: expect.any(Array), metadata: expect.any(Object), tasks: expect.any(Array) });
      expect(c.config.configurable).toMatchObject({ thread_id: thread.thread_id, checkpoint_id: expect.any(String) });
    }
    const last = checkpoints[checkpoints.length - 1];
    expect(last.next).toEqual([]);
    expect(lastAiText(last.values)).toContain('hello there');
    const state = await client.threads.getState(thread.thread_id);
    expect(last.config.configurable.checkpoint_id).toBe(state.checkpoint.checkpoint_id);
    // DebugStreamEvent: LangGraph's debug chunks, checkpoints and tasks alike.
    expect(new Set(of('debug').map((d) => d.type))).toEqual(new Set(['checkpoint', 'task', 'task_result']));
    expect(parts[parts.length - 1].event).toBe('end');
  });

  it('delays a run with after_seconds: pending and holding its thread until due; cancelled before it starts, it never runs', async () => {
    const thread = await client.threads.create();
    const input = { messages: [{ role: 'user', content: 'later, please' }] };
    const run = await client.runs.create(thread.thread_id, 'agent', { input, afterSeconds: 1 });
    expect(run.status).toBe('pending');
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe('pending');
    expect((await client.threads.get(thread.thread_id)).status).toBe('busy');
    // The thread is taken: a second run is refused (multitask_strategy reject), and one that
    // enqueues runs after it.
    await expect(client.runs.create(thread.thread_id, 'agent', { input })).rejects.toThrow(/409/);
    const next = await client.runs.create(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'and then' }] }, multitaskStrategy: 'enqueue' });
    expect(next.status).toBe('pending');
    const values: any = await client.runs.join(thread.thread_id, next.run_id);
    expect(values.messages.filter((m: any) => m.type === 'human').map((m: any) => m.content)).toEqual(['later, please', 'and then']);
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe('success');
    // Its first checkpoint was written after the run was due, not when it was created.
    const history = await client.threads.getHistory(thread.thread_id, { limit: 20 });
    const firstWrite = history.map((h) => Date.parse(h.created_at!)).sort((a, b) => a - b)[0];
    expect(firstWrite).toBeGreaterThanOrEqual(Date.parse(run.created_at) + 1000);

    const other = await client.threads.create();
    const doomed = await client.runs.create(other.thread_id, 'agent', { input, afterSeconds: 60 });
    await client.runs.cancel(other.thread_id, doomed.run_id, true);
    expect((await client.runs.get(other.thread_id, doomed.run_id)).status).toBe('interrupted');
    expect(await client.threads.get(other.thread_id)).toMatchObject({ status: 'idle', values: null });
    expect(await client.threads.getHistory(other.thread_id)).toEqual([]);
  });

  it('drives the SDK\'s own front-end stream engine (StreamOrchestrator, behind useStream): messages, interrupt, resume, tool and LangChain events', async () => {
    const toolEvents: any[] = [];
    const langChainEvents: any[] = [];
    const finished: any[] = [];
    const orchestrator = new StreamOrchestrator(
      {
        assistantId: 'agent',
        fetchStateHistory: true,
        onToolEvent: (data: any) => toolEvents.push(data),
        onLangChainEvent: (data: any) => langChainEvents.push(data),
        onFinish: (state: any) => finished.push(state),
      } as any,
      { getClient: () => client, getAssistantId: () => 'agent', getMessagesKey: () => 'messages' },
    );
    try {
      // What React's useStream does when a component reads toolProgress.
      orchestrator.trackStreamMode('tools');
      await orchestrator.submit({ messages: [{ type: 'human', content: 'refund order UI-7 $12' }] } as any);
      await until(async () => !orchestrator.isLoading && finished.length === 1, Boolean);
      expect(orchestrator.error).toBeUndefined();
      expect(orchestrator.threadId).toEqual(expect.any(String));
      // What a UI renders: the conversation so far, and the approval the run waits for.
      expect(orchestrator.messages.map((m: any) => m.type)).toEqual(['human', 'ai']);
      expect(orchestrator.messages[1].content).toContain('needs approval');
      expect(orchestrator.interrupt?.value).toMatchObject({ action: 'issue_refund', args: { order_id: 'UI-7', amount: 12 } });
      expect(toolEvents[0]).toMatchObject({ event: 'on_tool_start', name: 'issue_refund' });
      expect(langChainEvents.some((e) => e.event === 'on_chat_model_stream')).toBe(true);

      await orchestrator.submit(undefined as any, { command: { resume: { decision: 'approve' } } });
      await until(async () => !orchestrator.isLoading && finished.length === 2, Boolean);
      expect(orchestrator.error).toBeUndefined();
      expect(orchestrator.interrupt).toBeUndefined();
      expect(orchestrator.messages.map((m: any) => m.type)).toEqual(['human', 'ai', 'tool', 'ai']);
      expect(orchestrator.messages[2].content).toBe('Refund issued: $12.00 for order UI-7.');
      expect(toolEvents.map((e) => e.event)).toContain('on_tool_end');
      const state = await client.threads.getState(orchestrator.threadId!);
      expect((state.values as any).messages.map((m: any) => m.content)).toEqual(orchestrator.messages.map((m: any) => m.content));
    } finally {
      orchestrator.dispose();
    }
  });

  it('reconnects by itself when the connection is cut mid-stream, and yields every event once', async () => {
    const slow = await startRiser({ databaseUrl: riser.databaseUrl, env: { JWT_SECRET: riser.env.JWT_SECRET, DEMO_TOKEN_DELAY_MS: '15' } });
    const proxy = await startCuttingProxy(slow.url, 1800, 2);
    try {
      const sdk = new Client({ apiUrl: proxy.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
      const direct = new Client({ apiUrl: slow.url, apiKey: null, defaultHeaders: bearer(riser.token('alice', { tenant: 'acme' })) });
      const thread = await direct.threads.create();
      const parts = await collect(
        sdk.runs.stream(thread.thread_id, 'agent', {
          input: { messages: [{ role: 'user', content: 'survive the cuts please' }] },
          streamMode: ['messages-tuple', 'values'],
        }) as AsyncIterable<Part>,
      );
      // Cut twice: the first request and the first rejoin; the SDK rejoined through Location.
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      const ids = parts.map((p) => Number(p.id));
      expect(ids).toEqual(ids.map((_, i) => i + 1));
      expect(parts[parts.length - 1].event).toBe('end');
      const text = parts.filter((p) => p.event === 'messages').map((p) => p.data[0].content).join('');
      const state = await direct.threads.getState(thread.thread_id);
      expect(text).toBe(lastAiText(state.values));
    } finally {
      await proxy.close();
      await slow.close();
    }
  });
});

describe('one run core, three protocols', () => {
  let riser: RiserTestApp;
  beforeAll(async () => {
    riser = await startRiser({ env: { DEMO_TOKEN_DELAY_MS: '1' } });
  });
  afterAll(() => riser.destroy());

  it('a Platform API run is approved over Socket.IO and watched over GET /chat/stream', async () => {
    const token = riser.token('alice', { tenant: 'acme' });
    const sdk = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(token) });
    const thread = await sdk.threads.create();
    const parts = await collect(sdk.runs.stream(thread.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'refund order P-1 $7' }] }, streamMode: ['updates'] }) as AsyncIterable<Part>);
    const interruptId = parts.find((p) => p.data?.__interrupt__)!.data.__interrupt__[0].id;
    const approver = await connectChat(riser.url, riser.token('carol', { tenant: 'acme', roles: ['approver'] }));
    const ack = await request(approver, 'approve', { thread_id: thread.thread_id, interrupt_id: interruptId, decision: 'approve' });
    expect(ack.ok).toBe(true);
    const watched = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=${thread.thread_id}&run_id=${ack.run_id}`, { headers: bearer(token) })).collect());
    expect((watched.slice(1, -1) as any[]).map((d) => d.content).join('')).toBe('Done. Refund issued: $7.00 for order P-1.');
    approver.close();
  });

  it('a run started over Socket.IO is resumed with the SDK (command.resume), audited, and watched over SSE', async () => {
    const token = riser.token('alice', { tenant: 'acme' });
    const socket = await connectChat(riser.url, token);
    let runId: string | undefined;
    const done = runMessages(socket, () => runId);
    runId = (await request(socket, 'chat', { message: 'refund order S-5 $9', thread_id: 'c1a1e6a0-0000-4000-8000-000000000001' })).run_id;
    const interrupt = (await done).find((m) => m.interrupt)!.interrupts[0];
    const sdk = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(token) });
    const run = await sdk.runs.create('c1a1e6a0-0000-4000-8000-000000000001', 'agent', { command: { resume: { decision: 'reject' } } });
    const watched = frameData(await (await openSse(`${riser.url}/chat/stream?thread_id=c1a1e6a0-0000-4000-8000-000000000001&run_id=${run.run_id}`, { headers: bearer(token) })).collect());
    expect((watched.slice(1, -1) as any[]).map((d) => d.content).join('')).toMatch(/^I did not issue the refund\./);
    // The approval is recorded as decided: it can no longer be decided over the socket.
    const again = await request(socket, 'approve', { thread_id: 'c1a1e6a0-0000-4000-8000-000000000001', interrupt_id: interrupt.id, decision: 'approve' });
    expect(again).toMatchObject({ ok: false, error: { code: 'already_decided', status: 'rejected' } });
    socket.close();
  });
});
