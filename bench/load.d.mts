// Types of load.mjs, for bench/load.spec.ts (the module itself is plain JavaScript).
import type { StreamResult, StreamsSummary } from './sse-stats.mjs';

export interface LoadOptions {
  /** The POST /chat/stream URL; several (replicas): request i goes to url[i % url.length]. */
  url: string | string[];
  headers?: Record<string, string>;
  body: (i: number) => unknown;
  concurrency: number;
  requests: number;
  expectedTokens: number;
  timeoutMs?: number;
}

export interface LoadState {
  started: number;
  headers: number;
  streaming: number;
  finished: number;
  requests: number;
}

export declare function startLoad(options: LoadOptions): {
  state: LoadState;
  done: Promise<{ results: StreamResult[]; wallMs: number }>;
};

export declare function runLoad(options: LoadOptions): Promise<StreamsSummary & { wallMs: number }>;
