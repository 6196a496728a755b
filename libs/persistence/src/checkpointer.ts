import type { RunnableConfig } from '@langchain/core/runnables';
import { EXCLUDED_METADATA_KEYS, WRITES_IDX_MAP, type ChannelVersions, type Checkpoint, type CheckpointMetadata, type PendingWrite } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type pg from 'pg';
import type { Database } from './database.js';

const CHECKPOINT_SETUP_LOCK = 0x52_69_73_65_72_02;
const SCHEMA = 'riser';

/**
 * LangGraph's PostgresSaver, writing each checkpoint and each task's writes in one
 * statement (one round trip) instead of a transaction of one statement per channel.
 *
 * Same tables, same rows, same conflict rules — a test writes the same graph runs through
 * this and through the stock saver and compares every row — and reads are the stock
 * saver's. Measured here: a one-node graph run made ~22 round trips to save its
 * checkpoints; this makes 5. A single INSERT (with its blobs in a CTE) is atomic on its own,
 * as the transaction it replaces was.
 */
export class RiserPostgresSaver extends PostgresSaver {
  /** Set by the run core: refuses writes from a process that lost a run's lease. */
  fence?: CheckpointFence;

  constructor(private readonly writePool: pg.Pool) {
    super(writePool, undefined, { schema: SCHEMA });
  }

  /**
   * Channel versions that two branches of one thread do not share. LangGraph JS's default
   * versions count 1, 2, 3… per channel, so two runs forked from one checkpoint (a run from
   * an earlier `checkpoint`, an edited message) mint the same versions, and
   * `checkpoint_blobs` — keyed by version, `ON CONFLICT DO NOTHING` — keeps the first
   * branch's values for both: the second branch reads the first one's state back
   * (langgraphjs#1812). The next integer plus a random fraction stays a number, ordered as
   * before and comparable with the integer versions already stored, and makes a collision
   * between branches improbable, as the Python saver's random suffix does.
   */
  override getNextVersion(current: number | undefined): number {
    return Math.floor(current ?? 0) + 1 + Math.random() * 0.999;
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw new Error('Missing "configurable" field in "config" param');
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable;
    this.fence?.check(thread_id);
    const serializedCheckpoint = this._dumpCheckpoint(checkpoint);
    const [blobs, serializedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(withConfigMetadata(config, metadata)),
    ]);
    const values: unknown[] = [thread_id, checkpoint_ns, checkpoint.id, checkpoint_id, serializedCheckpoint, serializedMetadata];
    const rows = blobs.map((blob) => placeholders(values, blob));
    const withBlobs = rows.length
      ? `WITH blobs AS (
           INSERT INTO ${SCHEMA}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
           VALUES ${rows.join(', ')}
           ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING)
         `
      : '';
    await this.writePool.query(
      `${withBlobs}INSERT INTO ${SCHEMA}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
      values,
    );
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    if (!writes.length) return;
    this.fence?.check(config.configurable?.thread_id);
    const upsert = writes.every((w) => w[0] in WRITES_IDX_MAP);
    const dumped = await this._dumpWrites(
      config.configurable?.thread_id,
      config.configurable?.checkpoint_ns,
      config.configurable?.checkpoint_id,
      taskId,
      writes,
    );
    // One row per (task, idx), as the statements run one by one left it: the last one
    // when they upsert, the first one when they do nothing on conflict.
    const byIdx = new Map<number, (typeof dumped)[number]>();
    for (const row of dumped) if (upsert || !byIdx.has(row[4])) byIdx.set(row[4], row);
    const unique = [...byIdx.values()];
    const values: unknown[] = [];
    const rows = unique.map((row) => placeholders(values, row));
    await this.writePool.query(
      `INSERT INTO ${SCHEMA}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
       VALUES ${rows.join(', ')}
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${
         upsert ? 'DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob' : 'DO NOTHING'
       }`,
      values,
    );
  }
}

/**
 * Guards checkpoint writes of threads whose runs execute here: `check` throws when this
 * process no longer holds the run's lease (it froze past it, or lost its network), so a run
 * taken over by another replica is never written by two.
 */
export interface CheckpointFence {
  check(threadId: string): void;
}

/** Appends a row's values and returns its `($n, $n+1, …)`. */
function placeholders(values: unknown[], row: readonly unknown[]): string {
  const start = values.length;
  values.push(...row);
  return `(${row.map((_, i) => `$${start + i + 1}`).join(', ')})`;
}

/**
 * Riser's checkpointer on its own pool and schema, with its tables created (under an
 * advisory lock, as replicas may start together).
 */
export async function createCheckpointer(db: Database): Promise<PostgresSaver> {
  const saver = new RiserPostgresSaver(db.pool);
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

/**
 * A checkpoint's metadata with the run's (`config.metadata`) under LangGraph's own, as the
 * official server's checkpointer writes it: `getHistory({metadata})` then finds the
 * checkpoints of runs started with that metadata. LangGraph's bookkeeping keys (node, step,
 * checkpoint ids), LangSmith's `ls_*` tags, internal `__` keys and values that are not plain
 * JSON are left out (so a run without metadata writes the rows the stock saver writes).
 */
function withConfigMetadata(config: RunnableConfig, metadata: CheckpointMetadata): CheckpointMetadata {
  const extra = config.metadata;
  if (!extra) return metadata;
  const kept = Object.entries(extra).filter(([key, value]) => !key.startsWith('__') && !key.startsWith('ls_') && !EXCLUDED_METADATA_KEYS.has(key) && isPlain(value));
  return kept.length ? ({ ...Object.fromEntries(kept), ...metadata } as CheckpointMetadata) : metadata;
}

function isPlain(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isPlain);
  return typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.values(value as object).every(isPlain);
}
