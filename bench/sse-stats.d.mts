// Types of sse-stats.mjs, for bench/load.spec.ts (the module itself is plain JavaScript).

export type SseEvent =
  | { type: 'event'; id: string | undefined; event: string | undefined; data: string }
  | { type: 'comment'; comment: string };

export declare class SseParser {
  constructor(onEvent: (event: SseEvent) => void);
  push(chunk: string | Uint8Array): void;
  end(): void;
}

export declare function expectedToken(i: number): string;

export interface StreamResult {
  status: number | undefined;
  ttfb: number | undefined;
  ttft: number | undefined;
  tokens: number;
  gaps: number[];
  done: boolean;
  short: boolean;
  mismatches: number;
  afterDone: number;
  comments: number;
  ids: number;
  nonMonotonicIds: number;
  errors: string[];
  endedAt: number | undefined;
}

export declare class StreamStats {
  constructor(options: { expectedTokens: number; t0: number; checkContent?: boolean });
  readonly short: boolean;
  headers(t: number, status: number): void;
  chunk(chunk: string | Uint8Array, t: number): void;
  finish(t: number): void;
  fail(code: string, t: number): void;
  result(): StreamResult;
}

export declare function percentile(sorted: ArrayLike<number>, p: number): number;

export interface StreamsSummary {
  streams: number;
  tokens: number;
  done: number;
  errors: number;
  errorCodes: Record<string, number>;
  short: number;
  mismatches: number;
  ttfbP50: number;
  ttfbP99: number;
  ttftP50: number;
  ttftP99: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
}

export declare function summarizeStreams(results: StreamResult[]): StreamsSummary;
