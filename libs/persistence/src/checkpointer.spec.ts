import pg from 'pg';
import type { RunnableConfig } from '@langchain/core/runnables';
import { Command } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { createTestDatabase } from '@riser/testing';
import { createDemoAgent } from '@riser/run-core';
import { RiserPostgresSaver } from './checkpointer.js';

/**
 * RiserPostgresSaver must leave exactly the rows the stock PostgresSaver leaves. LangGraph
 * drives the stock saver through real runs (a conversation, an interrupt, a resume, an error
 * write); every put/putWrites it made is replayed on Riser's with the same arguments, and
 * the three tables are compared row by row. Then the graph runs on Riser's saver alone and
 * reads its own state back.
 */
/** The stock saver, handing every write, as it happens, to Riser's too (args are live objects). */
class TeeSaver extends PostgresSaver {
  puts = 0;
  constructor(pool: pg.Pool, private readonly other: RiserPostgresSaver) {
    super(pool, undefined, { schema: 'stock' });
  }
  override async put(...args: Parameters<PostgresSaver['put']>) {
    this.puts++;
    const [mine] = await Promise.all([super.put(...args), this.other.put(...args)]);
    return mine;
  }
  override async putWrites(...args: Parameters<PostgresSaver['putWrites']>) {
    await Promise.all([super.putWrites(...args), this.other.putWrites(...args)]);
  }
}

const TABLES = {
  checkpoints: 'thread_id, checkpoint_ns, checkpoint_id',
  checkpoint_blobs: 'thread_id, checkpoint_ns, channel, version',
  checkpoint_writes: 'thread_id, checkpoint_ns, checkpoint_id, task_id, idx',
};

describe('RiserPostgresSaver', () => {
  let pool: pg.Pool;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE SCHEMA IF NOT EXISTS riser');
  });
  afterAll(async () => {
    await pool.end();
    await drop();
  });

  async function rows(schema: string, table: keyof typeof TABLES) {
    return (await pool.query(`SELECT * FROM ${schema}.${table} ORDER BY ${TABLES[table]}`)).rows;
  }

  it('writes exactly the rows the stock saver writes', async () => {
    const riser = new RiserPostgresSaver(pool);
    await riser.setup();
    const stock = new TeeSaver(pool, riser);
    await stock.setup();

    const graph = await createDemoAgent({ tokenDelayMs: 0 });
    graph.checkpointer = stock;
    const config = { configurable: { thread_id: 'same' } };
    await graph.invoke({ messages: [{ role: 'user', content: 'hello there' }] }, config);
    await graph.invoke({ messages: [{ role: 'user', content: 'refund order C-3 $12' }] }, config);
    await graph.invoke(new Command({ resume: { decision: 'edit', value: { amount: 4 } } }), config);
    const last = (await stock.getTuple(config))!.config;
    // Special channels (upserted), and a write with no new versions.
    await stock.putWrites(last, [['__error__', { message: 'boom' }], ['__interrupt__', [{ value: 1 }]]], 'task-special');
    await stock.putWrites(last, [['__error__', { message: 'boom again' }]], 'task-special');
    await stock.putWrites(last, [['messages', 'a'], ['messages', 'b']], 'task-plain');
    expect(stock.puts).toBeGreaterThan(5);
    for (const table of Object.keys(TABLES) as (keyof typeof TABLES)[]) {
      const expected = await rows('stock', table);
      expect(expected.length).toBeGreaterThan(0);
      expect(await rows('riser', table)).toEqual(expected);
    }
  });

  it('serves LangGraph on its own: state, history and resumes read back what was written', async () => {
    const riser = new RiserPostgresSaver(pool);
    await riser.setup();
    const graph = await createDemoAgent({ tokenDelayMs: 0 });
    graph.checkpointer = riser;
    const config: RunnableConfig = { configurable: { thread_id: 'own' } };
    await graph.invoke({ messages: [{ role: 'user', content: 'first' }] }, config);
    await graph.invoke({ messages: [{ role: 'user', content: 'refund order D-1 $2' }] }, config);
    const paused = await graph.getState(config);
    expect(paused.next).toEqual(['tools']);
    expect(paused.tasks[0].interrupts[0].value).toMatchObject({ action: 'issue_refund' });
    const done = await graph.invoke(new Command({ resume: { decision: 'approve' } }), config);
    expect(done.messages.at(-1)!.content).toBe('Done. Refund issued: $2.00 for order D-1.');
    expect(done.messages[1].content).toContain('You said "first"');
    const history = [];
    for await (const state of graph.getStateHistory(config)) history.push(state);
    expect(history.length).toBeGreaterThan(6);
  });

  it('keeps two branches forked from one checkpoint apart when they are read back', async () => {
    const riser = new RiserPostgresSaver(pool);
    await riser.setup();
    const graph = await createDemoAgent({ tokenDelayMs: 0 });
    graph.checkpointer = riser;
    const config: RunnableConfig = { configurable: { thread_id: 'forked' } };
    await graph.invoke({ messages: [{ role: 'user', content: 'first' }] }, config);
    const fork = (await graph.getState(config)).config;
    await graph.invoke({ messages: [{ role: 'user', content: 'branch A' }] }, fork);
    const headA = (await graph.getState(config)).config;
    // Same base, same number of steps: with counting versions, B's blobs were dropped as A's.
    await graph.invoke({ messages: [{ role: 'user', content: 'branch B' }] }, fork);
    const contents = async (at: RunnableConfig) => (await graph.getState(at)).values.messages.map((m: { content: unknown }) => m.content);
    expect((await contents(config)).slice(2)).toEqual(['branch B', expect.stringContaining('You said "branch B"')]);
    expect((await contents(headA)).slice(2)).toEqual(['branch A', expect.stringContaining('You said "branch A"')]);
    expect(riser.getNextVersion(3)).toBeGreaterThan(3);
    expect(riser.getNextVersion(3)).toBeLessThan(4.9991);
  });
});
