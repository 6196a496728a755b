import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from './database.js';
import type { Owner, ThreadRecord, ThreadStatus } from './records.js';
import { threadFromRow as toRecord, type ThreadRow } from './row-mapping.js';

export interface ThreadFilter {
  ids?: string[];
  metadata?: Record<string, unknown>;
  status?: ThreadStatus;
  limit: number;
  offset: number;
  sortBy: 'created_at' | 'updated_at' | 'thread_id' | 'status';
  sortOrder: 'asc' | 'desc';
}

@Injectable()
export class ThreadStore {
  constructor(private readonly db: Database) {}

  async get(threadId: string, q: Queryable = this.db): Promise<ThreadRecord | undefined> {
    const { rows } = await q.query<ThreadRow>('SELECT * FROM riser.threads WHERE thread_id = $1', [threadId]);
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Returns the thread, creating it for `owner` when it does not exist. The caller checks
   * ownership: an existing thread of someone else comes back as it is.
   */
  async ensure(
    q: Queryable,
    threadId: string,
    owner: Owner,
    metadata: Record<string, unknown> = {},
  ): Promise<{ thread: ThreadRecord; created: boolean }> {
    const inserted = await q.query<ThreadRow>(
      `INSERT INTO riser.threads (thread_id, owner_sub, tenant, metadata) VALUES ($1, $2, $3, $4)
       ON CONFLICT (thread_id) DO NOTHING RETURNING *`,
      [threadId, owner.sub, owner.tenant, metadata],
    );
    if (inserted.rows[0]) return { thread: toRecord(inserted.rows[0]), created: true };
    const { rows } = await q.query<ThreadRow>('SELECT * FROM riser.threads WHERE thread_id = $1 FOR UPDATE', [
      threadId,
    ]);
    return { thread: toRecord(rows[0]), created: false };
  }

  /** Threads of one owner, filtered and paged (newest first unless asked otherwise). */
  async search(owner: Owner, filter: ThreadFilter): Promise<ThreadRecord[]> {
    const where = ['owner_sub = $1', 'tenant = $2'];
    const values: unknown[] = [owner.sub, owner.tenant];
    if (filter.ids?.length) {
      values.push(filter.ids);
      where.push(`thread_id = ANY($${values.length}::text[])`);
    }
    if (filter.metadata && Object.keys(filter.metadata).length) {
      values.push(JSON.stringify(filter.metadata));
      where.push(`metadata @> $${values.length}::jsonb`);
    }
    if (filter.status) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    // Column and direction come from enums, never from free text.
    const order = `${filter.sortBy} ${filter.sortOrder === 'asc' ? 'ASC' : 'DESC'}, thread_id`;
    values.push(filter.limit, filter.offset);
    const { rows } = await this.db.query<ThreadRow>(
      `SELECT * FROM riser.threads WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }

  /** Merges metadata into the thread's (keys given replace keys stored). */
  async mergeMetadata(threadId: string, metadata: Record<string, unknown>, q: Queryable = this.db): Promise<ThreadRecord | undefined> {
    const { rows } = await q.query<ThreadRow>(
      `UPDATE riser.threads SET metadata = metadata || $2::jsonb, updated_at = now() WHERE thread_id = $1 RETURNING *`,
      [threadId, JSON.stringify(metadata)],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Deletes the thread with its runs and approvals (the caller deletes its checkpoints). */
  async delete(threadId: string, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query('DELETE FROM riser.threads WHERE thread_id = $1', [threadId]);
    return (rowCount ?? 0) > 0;
  }

  async setStatus(threadId: string, status: ThreadStatus, q: Queryable = this.db): Promise<void> {
    await q.query('UPDATE riser.threads SET status = $2, updated_at = now() WHERE thread_id = $1', [threadId, status]);
  }
}
