import { Injectable } from '@nestjs/common';
import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import { Database } from './database.js';

/** Comparison operators a search filter may use on a value's top-level field, as LangGraph's stores take them. */
export const FILTER_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'] as const;

/** A filter Riser cannot apply: answered as a client error, never run. */
export class StoreFilterError extends Error {
  override readonly name = 'StoreFilterError';
}

interface ItemRow {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toItem = (row: ItemRow): Item => ({ namespace: row.namespace, key: row.key, value: row.value, createdAt: row.created_at, updatedAt: row.updated_at });

/**
 * LangGraph's long-term memory store in Postgres (`riser.store_items`), one per tenant: every
 * statement names the tenant, so what a graph or a client of one tenant reads and writes can
 * never reach another's items, whatever namespace it names. The same store is handed to the
 * tenant's graphs (`config.store`, `getStore()`) and serves `/store/…`. No vector index:
 * a search with a `query` is refused where it comes in (the Platform API answers 422).
 */
export class TenantItemStore extends BaseStore {
  constructor(
    private readonly db: Database,
    readonly tenant: string,
  ) {
    super();
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const results: unknown[] = [];
    for (const op of operations) {
      if ('namespacePrefix' in op) results.push(await this.searchItems(op));
      else if ('value' in op) results.push(await this.write(op));
      else if ('matchConditions' in op || ('limit' in op && !('key' in op))) results.push(await this.namespaces(op as ListNamespacesOperation));
      else results.push(await this.read(op as GetOperation));
    }
    return results as OperationResults<Op>;
  }

  private async read(op: GetOperation): Promise<Item | null> {
    const { rows } = await this.db.query<ItemRow>('SELECT * FROM riser.store_items WHERE tenant = $1 AND namespace = $2::text[] AND key = $3', [
      this.tenant,
      op.namespace,
      op.key,
    ]);
    return rows[0] ? toItem(rows[0]) : null;
  }

  private async write(op: PutOperation): Promise<void> {
    if (op.value === null) {
      await this.db.query('DELETE FROM riser.store_items WHERE tenant = $1 AND namespace = $2::text[] AND key = $3', [this.tenant, op.namespace, op.key]);
      return;
    }
    await this.db.query(
      `INSERT INTO riser.store_items (tenant, namespace, key, value) VALUES ($1, $2::text[], $3, $4::jsonb)
       ON CONFLICT (tenant, namespace, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [this.tenant, op.namespace, op.key, JSON.stringify(op.value)],
    );
  }

  private async searchItems(op: SearchOperation): Promise<SearchItem[]> {
    if (op.query) throw new StoreFilterError('semantic search (query) needs a vector index, and this store has none');
    const values: unknown[] = [this.tenant, op.namespacePrefix];
    const where = ['tenant = $1', 'namespace[1:cardinality($2::text[])] = $2::text[]', ...filterClauses(op.filter ?? {}, values)];
    values.push(op.limit ?? 10, op.offset ?? 0);
    const { rows } = await this.db.query<ItemRow>(
      `SELECT * FROM riser.store_items WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, namespace, key LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toItem);
  }

  private async namespaces(op: ListNamespacesOperation): Promise<string[][]> {
    const values: unknown[] = [this.tenant];
    const where = ['tenant = $1'];
    for (const condition of op.matchConditions ?? []) {
      const path = condition.path;
      where.push(`cardinality(namespace) >= ${path.length}`);
      path.forEach((label, i) => {
        if (label === '*') return;
        values.push(label);
        const index = condition.matchType === 'prefix' ? `${i + 1}` : `cardinality(namespace) - ${path.length - 1 - i}`;
        where.push(`namespace[${index}] = $${values.length}`);
      });
    }
    const depth = op.maxDepth && op.maxDepth > 0 ? Math.floor(op.maxDepth) : undefined;
    const column = depth ? `namespace[1:${depth}]` : 'namespace';
    values.push(op.limit, op.offset);
    const { rows } = await this.db.query<{ ns: string[] }>(
      `SELECT DISTINCT ${column} AS ns FROM riser.store_items WHERE ${where.join(' AND ')} ORDER BY 1 LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map((r) => r.ns);
  }
}

/**
 * SQL for a filter on the value's top-level fields: a plain value is equality (JSON
 * equality, so `1` ≠ `"1"`); operators compare numbers (`$gt`…), or test membership (`$in`).
 */
function filterClauses(filter: Record<string, unknown>, values: unknown[]): string[] {
  const clauses: string[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    values.push(field);
    const at = `value->($${values.length}::text)`;
    const isOperators = condition && typeof condition === 'object' && !Array.isArray(condition) && Object.keys(condition).length > 0 && Object.keys(condition).every((k) => k.startsWith('$'));
    const pairs: [string, unknown][] = isOperators ? Object.entries(condition as Record<string, unknown>) : [['$eq', condition]];
    for (const [op, operand] of pairs) {
      switch (op) {
        case '$eq':
        case '$ne':
          values.push(JSON.stringify(operand ?? null));
          clauses.push(op === '$eq' ? `${at} = $${values.length}::jsonb` : `${at} IS DISTINCT FROM $${values.length}::jsonb`);
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte': {
          if (typeof operand !== 'number' || !Number.isFinite(operand)) throw new StoreFilterError(`filter.${field}.${op} must be a number`);
          values.push(operand);
          const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
          clauses.push(`(CASE WHEN jsonb_typeof(${at}) = 'number' THEN (${at})::numeric ${sign} $${values.length}::numeric ELSE false END)`);
          break;
        }
        case '$in':
        case '$nin':
          if (!Array.isArray(operand)) throw new StoreFilterError(`filter.${field}.${op} must be an array`);
          values.push(JSON.stringify(operand));
          clauses.push(`${op === '$nin' ? 'NOT ' : ''}coalesce(${at} IN (SELECT jsonb_array_elements($${values.length}::jsonb)), false)`);
          break;
        default:
          throw new StoreFilterError(`filter.${field}: unknown operator ${op} (one of ${FILTER_OPERATORS.join(', ')})`);
      }
    }
  }
  return clauses;
}

/** The store of each tenant, over the shared pool. */
@Injectable()
export class ItemStore {
  constructor(private readonly db: Database) {}

  forTenant(tenant: string): TenantItemStore {
    return new TenantItemStore(this.db, tenant);
  }
}
