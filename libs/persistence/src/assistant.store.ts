import { Injectable } from '@nestjs/common';
import { Database } from './database.js';

/** An assistant a tenant created: a graph with its own config, context and metadata, versioned. */
export interface AssistantRecord {
  assistantId: string;
  tenant: string;
  createdBy: string;
  graphId: string;
  version: number;
  name: string;
  description: string | null;
  config: Record<string, unknown>;
  context: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type AssistantVersionRecord = Omit<AssistantRecord, 'tenant' | 'createdBy' | 'updatedAt'>;

/** What a create or an update gives (a new version of these). */
export type AssistantFields = Pick<AssistantRecord, 'graphId' | 'name' | 'description' | 'config' | 'context' | 'metadata'>;

export interface AssistantFilter {
  graphId?: string;
  /** Case-insensitive substring of the name. */
  name?: string;
  metadata?: Record<string, unknown>;
}

const SORTABLE = new Set(['assistant_id', 'graph_id', 'name', 'created_at', 'updated_at']);

interface Row {
  assistant_id: string;
  tenant: string;
  created_by: string;
  graph_id: string;
  version: number;
  name: string;
  description: string | null;
  config: Record<string, unknown>;
  context: Record<string, unknown>;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toRecord = (row: Row): AssistantRecord => ({
  assistantId: row.assistant_id,
  tenant: row.tenant,
  createdBy: row.created_by,
  graphId: row.graph_id,
  version: row.version,
  name: row.name,
  description: row.description,
  config: row.config,
  context: row.context,
  metadata: row.metadata,
  createdAt: row.created_at,
  updatedAt: row.updated_at ?? row.created_at,
});

/**
 * Assistants by tenant: every read and write names the tenant, so one tenant's assistant is
 * invisible to every other. Each create and patch adds a version; `setLatest` brings an old
 * version back as the current one.
 */
@Injectable()
export class AssistantStore {
  constructor(private readonly db: Database) {}

  async get(tenant: string, assistantId: string): Promise<AssistantRecord | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM riser.assistants WHERE tenant = $1 AND assistant_id = $2', [tenant, assistantId]);
    return rows[0] && toRecord(rows[0]);
  }

  /** Inserts the assistant and its version 1; `undefined` when the id is taken (by any tenant). */
  async create(tenant: string, createdBy: string, assistantId: string, fields: AssistantFields): Promise<AssistantRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `INSERT INTO riser.assistants (assistant_id, tenant, created_by, graph_id, name, description, config, context, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (assistant_id) DO NOTHING RETURNING *`,
        [assistantId, tenant, createdBy, fields.graphId, fields.name, fields.description, fields.config, fields.context, fields.metadata],
      );
      if (!rows[0]) return undefined;
      await tx.query(
        `INSERT INTO riser.assistant_versions (assistant_id, version, graph_id, name, description, config, context, metadata, created_at)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8)`,
        [assistantId, fields.graphId, fields.name, fields.description, fields.config, fields.context, fields.metadata, rows[0].created_at],
      );
      return toRecord(rows[0]);
    });
  }

  /** Writes a new version (the next number) and makes it the current one. */
  async update(tenant: string, assistantId: string, change: (current: AssistantRecord) => AssistantFields): Promise<AssistantRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('SELECT * FROM riser.assistants WHERE tenant = $1 AND assistant_id = $2 FOR UPDATE', [tenant, assistantId]);
      if (!rows[0]) return undefined;
      const fields = change(toRecord(rows[0]));
      const { rows: next } = await tx.query<{ version: number }>(
        'SELECT coalesce(max(version), 0) + 1 AS version FROM riser.assistant_versions WHERE assistant_id = $1',
        [assistantId],
      );
      const version = next[0].version;
      const { rows: updated } = await tx.query<Row>(
        `UPDATE riser.assistants SET graph_id = $2, name = $3, description = $4, config = $5, context = $6, metadata = $7,
                version = $8, updated_at = now() WHERE assistant_id = $1 RETURNING *`,
        [assistantId, fields.graphId, fields.name, fields.description, fields.config, fields.context, fields.metadata, version],
      );
      await tx.query(
        `INSERT INTO riser.assistant_versions (assistant_id, version, graph_id, name, description, config, context, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [assistantId, version, fields.graphId, fields.name, fields.description, fields.config, fields.context, fields.metadata, updated[0].updated_at],
      );
      return toRecord(updated[0]);
    });
  }

  /** Makes a stored version the current one; `undefined` when the assistant or the version is not there. */
  async setLatest(tenant: string, assistantId: string, version: number): Promise<AssistantRecord | 'no_version' | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('SELECT * FROM riser.assistants WHERE tenant = $1 AND assistant_id = $2 FOR UPDATE', [tenant, assistantId]);
      if (!rows[0]) return undefined;
      const { rows: updated } = await tx.query<Row>(
        `UPDATE riser.assistants a SET graph_id = v.graph_id, name = v.name, description = v.description, config = v.config,
                context = v.context, metadata = v.metadata, version = v.version, updated_at = now()
           FROM riser.assistant_versions v
          WHERE a.assistant_id = $1 AND v.assistant_id = $1 AND v.version = $2 RETURNING a.*`,
        [assistantId, version],
      );
      return updated[0] ? toRecord(updated[0]) : 'no_version';
    });
  }

  async delete(tenant: string, assistantId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM riser.assistants WHERE tenant = $1 AND assistant_id = $2', [tenant, assistantId]);
    return (rowCount ?? 0) > 0;
  }

  async versions(tenant: string, assistantId: string, page: { limit: number; offset: number; metadata?: Record<string, unknown> }): Promise<AssistantVersionRecord[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT v.* FROM riser.assistant_versions v JOIN riser.assistants a USING (assistant_id)
        WHERE a.tenant = $1 AND v.assistant_id = $2 AND v.metadata @> $3::jsonb
        ORDER BY v.version DESC LIMIT $4 OFFSET $5`,
      [tenant, assistantId, JSON.stringify(page.metadata ?? {}), page.limit, page.offset],
    );
    return rows.map((row) => {
      const { tenant: _t, createdBy: _c, updatedAt: _u, ...version } = toRecord(row);
      return version;
    });
  }

  /** The tenant's assistants matching the filter, newest first unless asked otherwise. */
  async search(
    tenant: string,
    filter: AssistantFilter & { limit: number; offset: number; sortBy?: string; sortOrder?: 'asc' | 'desc' },
  ): Promise<AssistantRecord[]> {
    const { where, values } = this.where(tenant, filter);
    const column = filter.sortBy && SORTABLE.has(filter.sortBy) ? filter.sortBy : 'created_at';
    values.push(filter.limit, filter.offset);
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM riser.assistants WHERE ${where} ORDER BY ${column} ${filter.sortOrder === 'asc' ? 'ASC' : 'DESC'}, assistant_id
        LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }

  async count(tenant: string, filter: AssistantFilter): Promise<number> {
    const { where, values } = this.where(tenant, filter);
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM riser.assistants WHERE ${where}`, values);
    return Number(rows[0].n);
  }

  private where(tenant: string, filter: AssistantFilter): { where: string; values: unknown[] } {
    const clauses = ['tenant = $1'];
    const values: unknown[] = [tenant];
    if (filter.graphId !== undefined) {
      values.push(filter.graphId);
      clauses.push(`graph_id = $${values.length}`);
    }
    if (filter.name !== undefined) {
      values.push(`%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      clauses.push(`name ILIKE $${values.length}`);
    }
    if (filter.metadata && Object.keys(filter.metadata).length) {
      values.push(JSON.stringify(filter.metadata));
      clauses.push(`metadata @> $${values.length}::jsonb`);
    }
    return { where: clauses.join(' AND '), values };
  }
}
