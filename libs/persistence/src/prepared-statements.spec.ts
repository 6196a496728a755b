import pg from 'pg';
import { createTestDatabase } from '@riser/testing';
import { Database } from './database.js';
import { PreparingClient } from './prepared-statements.js';

describe('PreparingClient', () => {
  let pool: pg.Pool;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    // One connection: what it prepared is visible in its own pg_prepared_statements.
    pool = new pg.Pool({ connectionString: db.url, max: 1, Client: PreparingClient });
  });
  afterAll(async () => {
    await pool.end();
    await drop();
  });

  const prepared = async () =>
    (await pool.query<{ name: string; statement: string }>(`SELECT name, statement FROM pg_prepared_statements ORDER BY statement`)).rows;

  it('prepares a parameterised statement once per connection and runs it again under the same name', async () => {
    const text = 'SELECT $1::int + $2::int AS sum';
    expect((await pool.query(text, [1, 2])).rows).toEqual([{ sum: 3 }]);
    expect((await pool.query(text, [40, 2])).rows).toEqual([{ sum: 42 }]);
    const other = 'SELECT $1::text AS echo';
    expect((await pool.query(other, ['x'])).rows).toEqual([{ echo: 'x' }]);

    const rows = await prepared();
    // One statement per text, whatever the values; statements without parameters stay unnamed.
    expect(rows.map((r) => r.statement).sort()).toEqual([other, text].sort());
    expect(rows.every((r) => /^riser_[\w-]{22}$/.test(r.name))).toBe(true);
    expect(new Set(rows.map((r) => r.name)).size).toBe(2);
  });

  it('reports a failing statement as pg would, and the connection goes on', async () => {
    await expect(pool.query('SELECT 1 / $1::int AS q', [0])).rejects.toMatchObject({ code: '22012' });
    expect((await pool.query('SELECT 1 / $1::int AS q', [1])).rows).toEqual([{ q: 1 }]);
  });

  it('keeps the callback and config-object forms of query working', async () => {
    const viaConfig = await pool.query({ text: 'SELECT $1::int AS n', values: [7] });
    expect(viaConfig.rows).toEqual([{ n: 7 }]);
    const client = await pool.connect();
    try {
      const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) =>
        client.query('SELECT $1::int AS n', [8], (err: Error | undefined, result: pg.QueryResult) => (err ? reject(err) : resolve(result))),
      );
      expect(viaCallback.rows).toEqual([{ n: 8 }]);
    } finally {
      client.release();
    }
  });
});

describe('Database (DB_PREPARED_STATEMENTS)', () => {
  it.each([
    [true, 1],
    [false, 0],
  ])('preparedStatements: %s leaves %i statement(s) prepared on its connection', async (preparedStatements, expected) => {
    const db = await createTestDatabase();
    const database = await Database.connect({ databaseUrl: db.url, dataDir: '/nonexistent', poolMax: 1, preparedStatements });
    try {
      const before = (await database.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n;
      await database.query('SELECT $1::int AS n', [1]);
      const after = (await database.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n;
      expect(after - before).toBe(expected);
    } finally {
      await database.onApplicationShutdown();
      await db.drop();
    }
  });
});
