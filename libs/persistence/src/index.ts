export { PersistenceModule, type PersistenceModuleAsyncOptions } from './persistence.module.js';
export { PERSISTENCE_OPTIONS, type PersistenceOptions } from './persistence.options.js';
export { Database, type Queryable } from './database.js';
export { ThreadStore } from './thread.store.js';
export { RunStore, ThreadBusyConflict, type NewRun } from './run.store.js';
export { migrate } from './migrator.js';
export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded/embedded-postgres.js';
export * from './records.js';
