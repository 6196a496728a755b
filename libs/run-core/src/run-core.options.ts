import type { WorkerIdentity } from '@riser/persistence';
import type { DemoAgentOptions } from './demo/demo-agent.js';
import type { GraphDefaults } from './graphs/graph-registry.js';

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
  /** The variable that named it (`LANGGRAPH_CONFIG` is the deprecated one). */
  graphsConfigFrom?: 'LANGGRAPH_JSON' | 'LANGGRAPH_CONFIG' | 'default';
  /** Default config and context per graph id (LANGGRAPH_CONFIG, as the official server reads it). */
  graphDefaults?: Record<string, GraphDefaults>;
  /**
   * What clients are told of a graph's exception (GRAPH_ERROR_DETAIL): `message`, its class
   * and message as the official server tells them (credentials redacted at every edge);
   * `class`, its class only. The server's log always has both (redacted too).
   */
  graphErrorDetail?: 'message' | 'class';
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
