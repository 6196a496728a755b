import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Database } from './database.js';

const CHECKPOINT_SETUP_LOCK = 0x52_69_73_65_72_02;

/**
 * LangGraph's Postgres checkpointer on Riser's own pool and schema, with its tables created
 * (under an advisory lock, as replicas may start together).
 */
export async function createCheckpointer(db: Database): Promise<PostgresSaver> {
  const saver = new PostgresSaver(db.pool, undefined, { schema: 'riser' });
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [CHECKPOINT_SETUP_LOCK]);
    await saver.setup();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [CHECKPOINT_SETUP_LOCK]).catch(() => undefined);
    client.release();
  }
  return saver;
}
