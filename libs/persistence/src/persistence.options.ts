export interface PersistenceOptions {
  /** A Postgres connection string; when absent Riser starts an embedded Postgres. */
  databaseUrl?: string;
  /** Folder for the embedded Postgres data (and other local state). */
  dataDir: string;
  /** Port for the embedded Postgres; a free one below the ephemeral range when absent. */
  embeddedPort?: number;
  poolMax: number;
  /**
   * How long a query waits for a free connection of the pool (or for a new one to connect)
   * before it fails (an error `isDatabaseUnavailable` recognises).
   */
  poolWaitMs?: number;
  /**
   * Prepare each parameterised statement once per connection (false behind a pooler that
   * cannot keep prepared statements, such as PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

export const PERSISTENCE_OPTIONS = Symbol('riser:persistence-options');
