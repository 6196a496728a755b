import pg from 'pg';

/** Reads the app's database directly, to assert rows as they are stored. */
export async function queryDb<T extends pg.QueryResultRow = any>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
