import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { EmbeddedPostgres } from './embedded/embedded-postgres.js';
import { migrate } from './migrator.js';
import { PreparingClient } from './prepared-statements.js';
import type { PersistenceOptions } from './persistence.options.js';

/** A pool, a client in a transaction, or the Database itself. */
export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * The pg pool every store and the LangGraph checkpointer share, plus the embedded Postgres
 * behind it when no DATABASE_URL is given. Closed last on shutdown: after the runs have
 * drained, the pool ends, then the embedded server stops.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    private readonly embedded: EmbeddedPostgres | undefined,
    /** True when this process started its own Postgres. */
    readonly isEmbedded: boolean,
  ) {}

  static async connect(options: PersistenceOptions): Promise<Database> {
    const logger = new Logger('Database');
    let url = options.databaseUrl;
    let embedded: EmbeddedPostgres | undefined;
    if (!url) {
      embedded = new EmbeddedPostgres({
        dir: options.dataDir,
        port: options.embeddedPort,
        log: (line) => logger.debug(line),
      });
      url = await embedded.start();
      logger.log(`embedded Postgres started (data in ${embedded.location})`);
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax,
      connectionTimeoutMillis: options.poolWaitMs ?? 10_000,
      ...(options.preparedStatements !== false && { Client: PreparingClient }),
    });
    // An idle client that loses its server must not crash the process.
    pool.on('error', (err) => logger.warn(`idle Postgres client error: ${err.message}`));
    try {
      const applied = await migrate(pool);
      if (applied.length) logger.log(`applied migrations ${applied.join(', ')}`);
    } catch (err) {
      await pool.end().catch(() => undefined);
      await embedded?.stop();
      throw err;
    }
    return new Database(pool, embedded, !!embedded);
  }

  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs `fn` in a transaction; rolls back when it throws. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch((err: Error) => this.logger.warn(`pool end: ${err.message}`));
    if (this.embedded) {
      await this.embedded.stop();
      this.logger.log('embedded Postgres stopped');
    }
  }
}
