import { Injectable } from '@nestjs/common';
import { Database } from './database.js';

export interface CronRecord {
  cronId: string;
  tenant: string;
  ownerSub: string;
  /** The assistant as the client named it (a graph id or an assistant UUID). */
  assistantId: string;
  /** Per-thread cron; null: each tick runs on a new thread. */
  threadId: string | null;
  schedule: string;
  timezone: string | null;
  endTime: Date | null;
  /** The Platform run body each tick starts. */
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  onRunCompleted: 'delete' | 'keep';
  enabled: boolean;
  nextRunDate: Date | null;
  lastRunId: string | null;
  fired: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCron = Omit<CronRecord, 'lastRunId' | 'fired' | 'createdAt' | 'updatedAt'>;

export interface CronFilter {
  assistantId?: string;
  threadId?: string;
  enabled?: boolean;
  metadata?: Record<string, unknown>;
}

interface Row {
  cron_id: string;
  tenant: string;
  owner_sub: string;
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string | null;
  end_time: Date | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  on_run_completed: 'delete' | 'keep';
  enabled: boolean;
  next_run_date: Date | null;
  last_run_id: string | null;
  fired: number;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (row: Row): CronRecord => ({
  cronId: row.cron_id,
  tenant: row.tenant,
  ownerSub: row.owner_sub,
  assistantId: row.assistant_id,
  threadId: row.thread_id,
  schedule: row.schedule,
  timezone: row.timezone,
  endTime: row.end_time,
  payload: row.payload,
  metadata: row.metadata,
  onRunCompleted: row.on_run_completed,
  enabled: row.enabled,
  nextRunDate: row.next_run_date,
  lastRunId: row.last_run_id,
  fired: row.fired,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SORTABLE = new Set(['cron_id', 'assistant_id', 'thread_id', 'created_at', 'updated_at', 'next_run_date']);

/**
 * Crons by tenant. A due cron is claimed with `FOR UPDATE SKIP LOCKED` and its next run date
 * moved on in the same transaction, so of several replicas looking at once exactly one gets
 * each tick.
 */
@Injectable()
export class CronStore {
  constructor(private readonly db: Database) {}

  async create(cron: NewCron): Promise<CronRecord> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO riser.crons (cron_id, tenant, owner_sub, assistant_id, thread_id, schedule, timezone, end_time, payload, metadata,
                                on_run_completed, enabled, next_run_date)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
      [
        cron.cronId,
        cron.tenant,
        cron.ownerSub,
        cron.assistantId,
        cron.threadId,
        cron.schedule,
        cron.timezone,
        cron.endTime,
        cron.payload,
        cron.metadata,
        cron.onRunCompleted,
        cron.enabled,
        cron.nextRunDate,
      ],
    );
    return toRecord(rows[0]);
  }

  async get(tenant: string, cronId: string): Promise<CronRecord | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM riser.crons WHERE tenant = $1 AND cron_id = $2', [tenant, cronId]);
    return rows[0] && toRecord(rows[0]);
  }

  async delete(tenant: string, cronId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM riser.crons WHERE tenant = $1 AND cron_id = $2', [tenant, cronId]);
    return (rowCount ?? 0) > 0;
  }

  async search(tenant: string, filter: CronFilter & { limit: number; offset: number; sortBy?: string; sortOrder?: 'asc' | 'desc' }): Promise<CronRecord[]> {
    const { where, values } = this.where(tenant, filter);
    const column = filter.sortBy && SORTABLE.has(filter.sortBy) ? filter.sortBy : 'created_at';
    values.push(filter.limit, filter.offset);
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM riser.crons WHERE ${where} ORDER BY ${column} ${filter.sortOrder === 'asc' ? 'ASC' : 'DESC'}, cron_id
        LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }

  async count(tenant: string, filter: CronFilter): Promise<number> {
    const { where, values } = this.where(tenant, filter);
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM riser.crons WHERE ${where}`, values);
    return Number(rows[0].n);
  }

  /**
   * Claims the crons due now (at most `limit`), each once across every replica: locked rows
   * are skipped, and `next` says when each is due again (null: never, it is disabled). Their
   * next run date is moved on in the claiming transaction, before any run is started.
   */
  async claimDue(limit: number, next: (cron: CronRecord) => Date | null): Promise<CronRecord[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT * FROM riser.crons WHERE enabled AND next_run_date <= now() ORDER BY next_run_date LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      const claimed: CronRecord[] = [];
      for (const row of rows) {
        const cron = toRecord(row);
        const due = next(cron);
        await tx.query(
          `UPDATE riser.crons SET next_run_date = $2, enabled = $3, fired = fired + 1, updated_at = now() WHERE cron_id = $1`,
          [cron.cronId, due, due !== null],
        );
        claimed.push(cron);
      }
      return claimed;
    });
  }

  /** Replaces what can change of a cron (all given, computed by the caller from the current one). */
  async update(
    tenant: string,
    cronId: string,
    change: Pick<CronRecord, 'schedule' | 'timezone' | 'endTime' | 'payload' | 'metadata' | 'onRunCompleted' | 'enabled' | 'nextRunDate'>,
  ): Promise<CronRecord | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE riser.crons SET schedule = $3, timezone = $4, end_time = $5, payload = $6, metadata = $7, on_run_completed = $8,
              enabled = $9, next_run_date = $10, updated_at = now()
        WHERE tenant = $1 AND cron_id = $2 RETURNING *`,
      [tenant, cronId, change.schedule, change.timezone, change.endTime, change.payload, change.metadata, change.onRunCompleted, change.enabled, change.nextRunDate],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async deleteForAssistant(tenant: string, assistantId: string): Promise<void> {
    await this.db.query('DELETE FROM riser.crons WHERE tenant = $1 AND assistant_id = $2', [tenant, assistantId]);
  }

  async recordRun(cronId: string, runId: string): Promise<void> {
    await this.db.query('UPDATE riser.crons SET last_run_id = $2 WHERE cron_id = $1', [cronId, runId]);
  }

  private where(tenant: string, filter: CronFilter): { where: string; values: unknown[] } {
    const clauses = ['tenant = $1'];
    const values: unknown[] = [tenant];
    const add = (sql: (n: number) => string, value: unknown) => {
      values.push(value);
      clauses.push(sql(values.length));
    };
    if (filter.assistantId !== undefined) add((n) => `assistant_id = $${n}`, filter.assistantId);
    if (filter.threadId !== undefined) add((n) => `thread_id = $${n}`, filter.threadId);
    if (filter.enabled !== undefined) add((n) => `enabled = $${n}`, filter.enabled);
    if (filter.metadata && Object.keys(filter.metadata).length) add((n) => `metadata @> $${n}::jsonb`, JSON.stringify(filter.metadata));
    return { where: clauses.join(' AND '), values };
  }
}
