import type { WorkerIdentity } from '@riser/persistence';
import type { DemoAgentOptions } from './demo/demo-agent.js';

export interface RunCoreOptions {
  /** This process, as recorded on the runs it executes. */
  worker: WorkerIdentity;
  /** How long a run's lease lasts without renewal; a run whose lease ran out was orphaned. */
  leaseMs: number;
  /**
   * Several replicas share the runs (REDIS_URL): a run whose lease ran out is taken over and
   * resumed from its checkpoint, a replica shutting down hands its runs back. Alone, such
   * runs end with `interrupted_by_restart` / `shutdown`.
   */
  takeover: boolean;
  /** Most runs a tenant may have pending or running (MAX_ACTIVE_RUNS_PER_TENANT; 0: no cap). */
  maxActiveRunsPerTenant: number;
  /** Attempts a run gets before it ends with `interrupted_by_restart` (RUN_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** A langgraph.json naming user graphs; none when absent. */
  graphsConfigPath?: string;
  demo: DemoAgentOptions;
  /** Default and maximum run timeout, ms. */
  runTimeoutMs: number;
  maxRunTimeoutMs: number;
  /** Per-run event log: kept while the run runs and `ttlMs` after it ends. */
  log: { maxEvents: number; maxBytes: number; ttlMs: number };
  /** How long running runs may go on once shutdown begins. */
  shutdownGraceMs: number;
  /** The role that lets a principal see and decide the interrupts of its tenant's threads. */
  approverRole: string;
}

export const RUN_CORE_OPTIONS = Symbol('riser:run-core-options');
