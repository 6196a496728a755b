import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';

/**
 * What Riser does with LangGraph's checkpoint tables (created by PostgresSaver in the
 * `riser` schema) beyond the saver's own API. Checkpoint ids are UUIDv6, ordered by time,
 * which is what "after a checkpoint" relies on; a test pins these table names and that order.
 */
@Injectable()
export class CheckpointStore {
  constructor(private readonly db: Database) {}

  /** The thread's newest top-level checkpoint id, if any. */
  async latestId(threadId: string, q: Queryable = this.db): Promise<string | null> {
    const { rows } = await q.query<{ id: string | null }>(
      `SELECT max(checkpoint_id) AS id FROM riser.checkpoints WHERE thread_id = $1 AND checkpoint_ns = ''`,
      [threadId],
    );
    return rows[0]?.id ?? null;
  }

  /** The thread's newest top-level checkpoint and the superstep it was taken after, if any. */
  async latest(threadId: string): Promise<{ id: string; step: number | null } | undefined> {
    const { rows } = await this.db.query<{ id: string; step: string | null }>(
      `SELECT checkpoint_id AS id, metadata->>'step' AS step FROM riser.checkpoints
        WHERE thread_id = $1 AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1`,
      [threadId],
    );
    return rows[0] && { id: rows[0].id, step: rows[0].step === null ? null : Number(rows[0].step) };
  }

  /** Deletes every checkpoint (and pending write) of the thread made after `checkpointId`. */
  async deleteAfter(threadId: string, checkpointId: string | null): Promise<number> {
    return this.db.transaction(async (tx) => {
      const after = checkpointId ?? '';
      await tx.query('DELETE FROM riser.checkpoint_writes WHERE thread_id = $1 AND checkpoint_id > $2', [threadId, after]);
      const { rowCount } = await tx.query('DELETE FROM riser.checkpoints WHERE thread_id = $1 AND checkpoint_id > $2', [threadId, after]);
      return rowCount ?? 0;
    });
  }

  /**
   * Copies every checkpoint, blob and pending write of `from` to the thread `to` (the
   * Platform API's thread copy), in one transaction. Columns are read from the tables, so
   * the copy follows the saver's schema.
   */
  async copyThread(from: string, to: string, q?: Queryable): Promise<void> {
    const copy = async (tx: Queryable) => {
      for (const table of ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes']) {
        const { rows } = await tx.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = 'riser' AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        );
        const columns = rows.map((r) => `"${r.column_name}"`);
        const selected = columns.map((c) => (c === '"thread_id"' ? '$2' : c));
        await tx.query(`INSERT INTO riser.${table} (${columns.join(', ')}) SELECT ${selected.join(', ')} FROM riser.${table} WHERE thread_id = $1`, [from, to]);
      }
    };
    if (q) await copy(q);
    else await this.db.transaction(copy);
  }
}
