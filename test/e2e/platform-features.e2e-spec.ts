import { resolve } from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { bearer, jsonClient } from '@riser/testing';
import { until } from '../support/wait.js';
import { startRiser, type RiserTestApp } from '../support/riser.js';

/**
 * Issue 15 (features): assistants, the store, crons, thread copy and supersteps, with the
 * official SDK (1.15.0), on a real port and a real Postgres. alice and carol are of tenant
 * acme; bob is of tenant globex and must never see what acme has.
 */
describe('Platform API features with the official SDK: assistants, store, crons, thread copy', () => {
  let riser: RiserTestApp;
  let alice: Client;
  let carol: Client;
  let bob: Client;
  let http: (who: string, tenant: string) => ReturnType<typeof jsonClient> & { put(path: string, body: unknown): Promise<{ status: number; body: any }> };

  const lastText = (values: any) => (values?.messages ?? []).filter((m: any) => m.type === 'ai').pop()?.content;
  const status = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (err: any) => err?.status ?? err?.message,
    );

  beforeAll(async () => {
    riser = await startRiser({
      env: { DEMO_TOKEN_DELAY_MS: '1', LANGGRAPH_CONFIG: resolve(__dirname, '../fixtures/langgraph.json'), CRON_POLL_MS: '200', RATE_LIMIT_PER_MINUTE: '0' },
    });
    const client = (sub: string, tenant: string) => new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(riser.token(sub, { tenant })) });
    alice = client('alice', 'acme');
    carol = client('carol', 'acme');
    bob = client('bob', 'globex');
    http = (sub, tenant) => {
      const headers = bearer(riser.token(sub, { tenant }));
      const put = async (path: string, body: unknown) => {
        const res = await fetch(`${riser.url}${path}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      };
      return { ...jsonClient(riser.url, headers), put };
    };
  });
  afterAll(() => riser.destroy());

  describe('assistants', () => {
    it('creates, reads, updates (a new version), lists versions, sets the latest, searches, counts and deletes, in its tenant only', async () => {
      const created = await alice.assistants.create({
        graphId: 'memory',
        name: 'Memory Bot',
        description: 'remembers',
        config: { configurable: { greeting: 'hello', user: 'a1' } },
        context: { tone: 'warm' },
        metadata: { team: 'support' },
      });
      expect(created).toMatchObject({ graph_id: 'memory', name: 'Memory Bot', version: 1, config: { configurable: { greeting: 'hello' } }, context: { tone: 'warm' }, metadata: { team: 'support' } });
      const id = created.assistant_id;
      expect(await alice.assistants.get(id)).toMatchObject({ assistant_id: id, version: 1 });
      // carol, of the same tenant, sees it; bob, of another, does not — anywhere.
      expect(await carol.assistants.get(id)).toMatchObject({ assistant_id: id });
      expect(await status(bob.assistants.get(id))).toBe(404);
      expect((await bob.assistants.search({ graphId: 'memory', limit: 100 })).map((a) => a.assistant_id)).not.toContain(id);
      expect(await bob.assistants.count({ graphId: 'memory' })).toBe(1); // the system assistant only
      expect(await status(bob.assistants.update(id, { name: 'mine now' }))).toBe(404);
      expect(await status(bob.assistants.delete(id))).toBe(404);
      expect(await status(bob.assistants.getVersions(id))).toBe(404);

      const updated = await alice.assistants.update(id, { config: { configurable: { greeting: 'bonjour', user: 'a1' } }, metadata: { stage: 'beta' } });
      expect(updated).toMatchObject({ version: 2, name: 'Memory Bot', config: { configurable: { greeting: 'bonjour' } }, metadata: { team: 'support', stage: 'beta' } });
      const versions = await alice.assistants.getVersions(id);
      expect(versions.map((v) => v.version)).toEqual([2, 1]);
      expect(versions[1]).toMatchObject({ config: { configurable: { greeting: 'hello' } }, metadata: { team: 'support' } });

      // Search by graph, name (substring, any case) and metadata; count the same way.
      expect((await alice.assistants.search({ graphId: 'memory', limit: 100 })).map((a) => a.assistant_id)).toEqual(expect.arrayContaining([id]));
      expect((await alice.assistants.search({ name: 'memory bot' })).map((a) => a.assistant_id)).toEqual([id]);
      expect((await alice.assistants.search({ metadata: { stage: 'beta' } })).map((a) => a.assistant_id)).toEqual([id]);
      expect(await alice.assistants.search({ metadata: { stage: 'gone' } })).toEqual([]);
      expect(await alice.assistants.count({ metadata: { team: 'support' } })).toBe(1);
      expect(await alice.assistants.count({ graphId: 'memory' })).toBe(2);

      // A run with the assistant: its config and context merge under the run's own.
      const thread = await alice.threads.create();
      let values: any = await alice.runs.wait(thread.thread_id, id, { input: { messages: [{ role: 'user', content: 'hi' }] } });
      expect(lastText(values)).toBe('remembered=0 greeting=bonjour tone=warm');
      values = await alice.runs.wait(thread.thread_id, id, {
        input: { messages: [{ role: 'user', content: 'again' }] },
        config: { configurable: { greeting: 'hey' } },
        context: { tone: 'dry' },
      });
      expect(lastText(values)).toBe('remembered=1 greeting=hey tone=dry');

      // Back to version 1; then delete.
      const latest = await alice.assistants.setLatest(id, 1);
      expect(latest).toMatchObject({ version: 1, config: { configurable: { greeting: 'hello' } } });
      expect((await alice.assistants.get(id)).version).toBe(1);
      expect(await status(alice.assistants.setLatest(id, 9))).toBe(404);
      // bob cannot start a run with it either.
      const bobThread = await bob.threads.create();
      expect(await status(bob.runs.wait(bobThread.thread_id, id, { input: { messages: [] } }))).toBe(404);

      expect(await alice.assistants.delete(id)).toEqual([id]);
      expect(await status(alice.assistants.get(id))).toBe(404);
    });

    it('answers documented codes: PATCH/DELETE of a system assistant is 409 assistant_read_only, of an unknown one 404 assistant_not_found; bad bodies 422', async () => {
      const api = http('alice', 'acme');
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const method of ['patch', 'delete'] as const) {
        const missing = method === 'patch' ? await api.patch(`/assistants/${unknown}`, { name: 'x' }) : await api.delete(`/assistants/${unknown}`);
        expect([missing.status, missing.body.error]).toEqual([404, 'assistant_not_found']);
        const system = method === 'patch' ? await api.patch('/assistants/agent', { name: 'x' }) : await api.delete('/assistants/agent');
        expect([system.status, system.body.error]).toEqual([409, 'assistant_read_only']);
      }
      const noGraph = await api.post('/assistants', { graph_id: 'nope' });
      expect([noGraph.status, noGraph.body.field]).toEqual([422, 'graph_id']);
      const extra = await api.post('/assistants', { graph_id: 'agent', colour: 'red' });
      expect([extra.status, extra.body.field]).toEqual([422, 'colour']);
      const fixedId = 'c0ffee00-0000-4000-8000-000000000001';
      expect((await api.post('/assistants', { graph_id: 'agent', assistant_id: fixedId })).status).toBe(200);
      const again = await api.post('/assistants', { graph_id: 'agent', assistant_id: fixedId });
      expect([again.status, again.body.error]).toEqual([409, 'assistant_exists']);
      expect((await api.post('/assistants', { graph_id: 'agent', assistant_id: fixedId, if_exists: 'do_nothing' })).body.assistant_id).toBe(fixedId);
      // Another tenant cannot take the id, nor learn whose it is.
      const taken = await http('bob', 'globex').post('/assistants', { graph_id: 'agent', assistant_id: fixedId, if_exists: 'do_nothing' });
      expect([taken.status, taken.body.error]).toEqual([409, 'assistant_exists']);
      // The system assistant's one version.
      expect((await alice.assistants.getVersions('agent')).map((v) => v.version)).toEqual([1]);
    });
  });

  describe('store', () => {
    it('puts, gets, searches (prefix, filter, paging), lists namespaces and deletes items, per tenant', async () => {
      await alice.store.putItem(['prefs', 'alice'], 'theme', { value: 'dark', rank: 1 });
      await alice.store.putItem(['prefs', 'alice'], 'lang', { value: 'fr', rank: 2 });
      await alice.store.putItem(['prefs', 'carol'], 'theme', { value: 'light', rank: 3 });
      await alice.store.putItem(['docs'], 'readme', { value: 'x', rank: 4 });

      const item = await alice.store.getItem(['prefs', 'alice'], 'theme');
      expect(item).toMatchObject({ namespace: ['prefs', 'alice'], key: 'theme', value: { value: 'dark', rank: 1 }, createdAt: expect.any(String), updatedAt: expect.any(String) });
      // Same tenant: carol reads it. Another tenant: bob sees nothing, and his own item of the same name is his.
      expect(await carol.store.getItem(['prefs', 'alice'], 'theme')).toMatchObject({ value: { value: 'dark' } });
      expect(await bob.store.getItem(['prefs', 'alice'], 'theme')).toBeNull();
      expect((await bob.store.searchItems(['prefs'])).items).toEqual([]);
      expect((await bob.store.listNamespaces()).namespaces).toEqual([]);
      await bob.store.putItem(['prefs', 'alice'], 'theme', { value: 'bob-was-here' });
      expect(await alice.store.getItem(['prefs', 'alice'], 'theme')).toMatchObject({ value: { value: 'dark' } });
      await bob.store.deleteItem(['prefs', 'alice'], 'theme');
      expect(await alice.store.getItem(['prefs', 'alice'], 'theme')).toMatchObject({ value: { value: 'dark' } });

      const prefs = await alice.store.searchItems(['prefs']);
      expect(prefs.items.map((i) => `${i.namespace.join('.')}/${i.key}`).sort()).toEqual(['prefs.alice/lang', 'prefs.alice/theme', 'prefs.carol/theme']);
      expect((await alice.store.searchItems(['prefs', 'alice'])).items).toHaveLength(2);
      expect((await alice.store.searchItems(['prefs'], { filter: { value: 'light' } })).items.map((i) => i.key)).toEqual(['theme']);
      expect((await alice.store.searchItems([], { filter: { rank: { $gte: 2 } } })).items.map((i) => i.value.rank).sort()).toEqual([2, 3, 4]);
      expect((await alice.store.searchItems(['prefs'], { limit: 2 })).items).toHaveLength(2);
      expect((await alice.store.searchItems(['prefs'], { limit: 2, offset: 2 })).items).toHaveLength(1);

      expect((await alice.store.listNamespaces()).namespaces).toEqual(expect.arrayContaining([['docs'], ['prefs', 'alice'], ['prefs', 'carol']]));
      expect((await alice.store.listNamespaces({ prefix: ['prefs'] })).namespaces).toEqual([['prefs', 'alice'], ['prefs', 'carol']]);
      expect((await alice.store.listNamespaces({ suffix: ['carol'] })).namespaces).toEqual([['prefs', 'carol']]);
      expect((await alice.store.listNamespaces({ prefix: ['prefs'], maxDepth: 1 })).namespaces).toEqual([['prefs']]);

      await alice.store.deleteItem(['prefs', 'alice'], 'lang');
      expect(await alice.store.getItem(['prefs', 'alice'], 'lang')).toBeNull();
    });

    it('refuses what it cannot do with a 422 naming the field: semantic search without an index, bad namespaces and filters', async () => {
      const api = http('alice', 'acme');
      const semantic = await api.post('/store/items/search', { namespace_prefix: ['prefs'], query: 'dark things' });
      expect([semantic.status, semantic.body.error, semantic.body.field]).toEqual([422, 'invalid_request', 'query']);
      const dotted = await api.put('/store/items', { namespace: ['a.b'], key: 'k', value: {} });
      expect([dotted.status, dotted.body.field]).toEqual([422, 'namespace.0']);
      const reserved = await api.put('/store/items', { namespace: ['langgraph'], key: 'k', value: {} });
      expect([reserved.status, reserved.body.field]).toEqual([422, 'namespace']);
      const badOp = await api.post('/store/items/search', { namespace_prefix: [], filter: { rank: { $regex: '.' } } });
      expect([badOp.status, badOp.body.field]).toEqual([422, 'filter']);
      const notNumber = await api.post('/store/items/search', { namespace_prefix: [], filter: { rank: { $gt: 'a' } } });
      expect([notNumber.status, notNumber.body.field]).toEqual([422, 'filter']);
      const value = await api.put('/store/items', { namespace: ['a'], key: 'k', value: 'text' });
      expect([value.status, value.body.field]).toEqual([422, 'value']);
    });

    it('is the store of the tenant\'s graphs: a node reads and writes it, and the API sees what it wrote', async () => {
      const thread = await alice.threads.create();
      for (const text of ['first', 'second']) {
        await alice.runs.wait(thread.thread_id, 'memory', { input: { messages: [{ role: 'user', content: text }] }, config: { configurable: { user: 'graph-user' } } });
      }
      const memories = await alice.store.searchItems(['memories', 'graph-user']);
      expect(memories.items.map((i) => i.value.text).sort()).toEqual(['first', 'second']);
      // bob's run of the same graph, same user name: his tenant's store is empty.
      const bobThread = await bob.threads.create();
      const values: any = await bob.runs.wait(bobThread.thread_id, 'memory', { input: { messages: [{ role: 'user', content: 'x' }] }, config: { configurable: { user: 'graph-user' } } });
      expect(lastText(values)).toMatch(/^remembered=0 /);
      expect((await alice.store.searchItems(['memories', 'graph-user'])).items).toHaveLength(2);
      expect((await bob.store.searchItems(['memories', 'graph-user'])).items).toHaveLength(1);
    });
  });

  describe('threads', () => {
    it('creates a thread with supersteps (its history), and copies a thread with its history', async () => {
      const thread = await alice.threads.create({
        graphId: 'agent',
        metadata: { topic: 'jedi' },
        supersteps: [
          { updates: [{ values: { messages: [{ type: 'human', content: 'hello there' }] }, asNode: 'agent' }] },
          { updates: [{ values: { messages: [{ type: 'ai', content: 'general kenobi' }] }, asNode: 'agent' }] },
        ],
      });
      const state = await alice.threads.getState(thread.thread_id);
      expect((state.values as any).messages.map((m: any) => m.content)).toEqual(['hello there', 'general kenobi']);
      const history = await alice.threads.getHistory(thread.thread_id, { limit: 10 });
      expect(history.length).toBeGreaterThanOrEqual(2);

      const copy = await alice.threads.copy(thread.thread_id);
      expect(copy.thread_id).not.toBe(thread.thread_id);
      expect(copy.metadata).toMatchObject({ graph_id: 'agent', topic: 'jedi', thread_id: copy.thread_id });
      expect(((await alice.threads.getState(copy.thread_id)).values as any).messages.map((m: any) => m.content)).toEqual(['hello there', 'general kenobi']);
      expect((await alice.threads.getHistory(copy.thread_id, { limit: 10 })).length).toBe(history.length);
      // The copy goes its own way: a run on it leaves the original as it was.
      await alice.runs.wait(copy.thread_id, 'agent', { input: { messages: [{ role: 'user', content: 'what is 2+2' }] } });
      expect(((await alice.threads.getState(thread.thread_id)).values as any).messages).toHaveLength(2);
      expect(((await alice.threads.getState(copy.thread_id)).values as any).messages.length).toBeGreaterThan(2);
      // Another tenant's thread cannot be copied (nor seen).
      expect(await status(bob.threads.copy(thread.thread_id))).toBe(404);
    });

    it('refuses supersteps the graph cannot take with a 422, leaving no thread behind', async () => {
      const api = http('alice', 'acme');
      const threadId = `bad-supersteps-${Date.now()}`;
      const bad = await api.post('/threads', { thread_id: threadId, supersteps: [{ updates: [{ values: { messages: [] }, as_node: 'no_such_node' }] }] });
      expect([bad.status, bad.body.error, bad.body.field]).toEqual([422, 'invalid_request', 'supersteps']);
      expect((await api.get(`/threads/${threadId}`)).status).toBe(404);
      const shape = await api.post('/threads', { supersteps: [{ updates: [{ values: {} }] }] });
      expect([shape.status, shape.body.field]).toEqual([422, 'supersteps.0.updates.0.as_node']);
    });
  });

  describe('crons', () => {
    it('fires a per-thread cron every second: its runs are ordinary runs; search, count and delete in its tenant only', async () => {
      const thread = await alice.threads.create();
      const cron = await alice.crons.createForThread(thread.thread_id, 'memory', {
        schedule: '* * * * * *',
        input: { messages: [{ role: 'user', content: 'tick' }] },
        config: { configurable: { user: 'cron-user' } },
        metadata: { purpose: 'test' },
        multitaskStrategy: 'enqueue',
      });
      expect(cron).toMatchObject({ cron_id: expect.any(String), thread_id: thread.thread_id, schedule: '* * * * * *', enabled: true, metadata: { purpose: 'test' }, next_run_date: expect.any(String) });

      const runs = await until(async () => {
        const list = await alice.runs.list(thread.thread_id);
        return list.length >= 2 ? list : undefined;
      }, (v) => !!v, 15_000);
      const run = runs![runs!.length - 1];
      expect(run.metadata).toMatchObject({ cron_id: cron.cron_id, purpose: 'test' });
      const joined: any = await alice.runs.join(thread.thread_id, run.run_id);
      expect(lastText(joined)).toMatch(/^remembered=\d+ /);
      expect(await alice.runs.get(thread.thread_id, run.run_id)).toMatchObject({ status: 'success' });

      expect((await alice.crons.search({ threadId: thread.thread_id })).map((c) => c.cron_id)).toEqual([cron.cron_id]);
      expect(await alice.crons.count({ threadId: thread.thread_id })).toBe(1);
      expect((await carol.crons.search({ metadata: { purpose: 'test' } })).map((c) => c.cron_id)).toContain(cron.cron_id);
      expect(await bob.crons.search({ metadata: { purpose: 'test' } })).toEqual([]);
      expect(await bob.crons.count()).toBe(0);
      expect(await status(bob.crons.delete(cron.cron_id))).toBe(404);

      await alice.crons.delete(cron.cron_id);
      expect(await alice.crons.count({ threadId: thread.thread_id })).toBe(0);
      await until(async () => ((await alice.runs.list(thread.thread_id)).every((r) => r.status !== 'pending' && r.status !== 'running') ? true : undefined), (v) => !!v, 15_000);
      const settled = (await alice.runs.list(thread.thread_id, { limit: 100 })).length;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await alice.runs.list(thread.thread_id, { limit: 100 })).length).toBe(settled);
    });

    it('fires a stateless cron on a new thread each tick (kept when asked), streamable like any run', async () => {
      const cron = await alice.crons.create('agent', {
        schedule: '*/1 * * * * *',
        input: { messages: [{ role: 'user', content: 'hello' }] },
        onRunCompleted: 'keep',
        metadata: { stateless: true },
      });
      expect(cron.thread_id).toBeNull();
      const threads = await until(async () => {
        const found = await alice.threads.search({ metadata: { graph_id: 'agent', assistant_id: 'fe096781-5601-53d2-b2f6-0d3403f7e9ca' }, limit: 50 });
        const byCron = [];
        for (const t of found) {
          const [run] = await alice.runs.list(t.thread_id);
          if (run?.metadata?.cron_id === cron.cron_id) byCron.push({ thread: t, run });
        }
        return byCron.length ? byCron : undefined;
      }, (v) => !!v, 15_000);
      await alice.crons.delete(cron.cron_id);
      const { thread, run } = threads![0];
      const parts = [];
      for await (const part of alice.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: '-1' } as any)) parts.push(part);
      expect(parts.map((p: any) => p.event)).toContain('metadata');
      expect(await bob.crons.count()).toBe(0);
    });

    it('refuses a bad schedule, time zone or run body with a 422 naming the field; unknown crons are 404 cron_not_found', async () => {
      const api = http('alice', 'acme');
      const schedule = await api.post('/runs/crons', { assistant_id: 'agent', schedule: 'every day' });
      expect([schedule.status, schedule.body.field]).toEqual([422, 'schedule']);
      const tz = await api.post('/runs/crons', { assistant_id: 'agent', schedule: '0 9 * * *', timezone: 'Mars/Olympus' });
      expect([tz.status, tz.body.field]).toEqual([422, 'timezone']);
      const body = await api.post('/runs/crons', { assistant_id: 'agent', schedule: '0 9 * * *', stream_mode: 'telepathy' });
      expect([body.status, body.body.field]).toEqual([422, 'stream_mode']);
      const assistant = await api.post('/runs/crons', { assistant_id: 'nope', schedule: '0 9 * * *' });
      expect([assistant.status, assistant.body.error]).toEqual([404, 'assistant_not_found']);
      const missing = await api.delete('/runs/crons/00000000-0000-4000-8000-000000000000');
      expect([missing.status, missing.body.error]).toEqual([404, 'cron_not_found']);
      // A thread of someone else's cannot get a cron.
      const bobThread = await bob.threads.create();
      const foreign = await api.post(`/threads/${bobThread.thread_id}/runs/crons`, { assistant_id: 'agent', schedule: '0 9 * * *' });
      expect([foreign.status, foreign.body.error]).toEqual([404, 'thread_not_found']);
      // Daily at nine in Paris: the next run date says so; PATCH can turn it off.
      const daily = await api.post('/runs/crons', { assistant_id: 'agent', schedule: '0 9 * * *', timezone: 'Europe/Paris' });
      expect(daily.status).toBe(200);
      const hour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(new Date(daily.body.next_run_date));
      expect(hour).toBe('09:00');
      const off = await alice.crons.update(daily.body.cron_id, { enabled: false });
      expect(off).toMatchObject({ enabled: false });
      await alice.crons.delete(daily.body.cron_id);
    });
  });

  it('answers 404 not_implemented for what Riser does not serve (generative UI, MCP, A2A, batch runs)', async () => {
    const api = http('alice', 'acme');
    for (const [method, path] of [
      ['post', '/ui/agent'],
      ['get', '/ui/agent/entrypoint.js'],
      ['post', '/mcp'],
      ['post', '/runs/batch'],
      ['post', '/threads/count'],
    ] as const) {
      const response = method === 'post' ? await api.post(path, {}) : await api.get(path);
      expect([path, response.status, response.body.error]).toEqual([path, 404, 'not_implemented']);
    }
  });
});
