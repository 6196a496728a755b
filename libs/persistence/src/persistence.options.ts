export interface PersistenceOptions {
  /** A Postgres connection string; when absent Riser starts an embedded Postgres. */
  databaseUrl?: string;
  /** Folder for the embedded Postgres data (and other local state). */
  dataDir: string;
  /** Port for the embedded Postgres; a free one below the ephemeral range when absent. */
  embeddedPort?: number;
  poolMax: number;
  /**
   * Prepare each parameterised statement once per connection (false behind a pooler that
   * cannot keep prepared statements, such as PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

export const PERSISTENCE_OPTIONS = Symbol('riser:persistence-options');
