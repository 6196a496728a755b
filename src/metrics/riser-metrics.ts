import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { StreamEndCode, type RunEvent } from '@riser/run-core';
import { TallyCounter } from './tally-counter.js';

/** Seconds buckets for runs (a reply takes seconds; a long agent minutes). */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds buckets for waits that should be short (queue, first token, an HTTP answer). */
const FAST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A human deciding: seconds to hours. */
const HUMAN_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600];
/**
 * How often the event loop's delay is sampled (`nodejs_eventloop_lag_*`). prom-client's 10 ms
 * wakes the process 100 times a second: measured here, ~5 ms of CPU a second on an idle
 * process (a replica serving paced streams spends ~150 ms a second), against ~1 ms at 100 ms.
 * A scrape every 10–60 s still sees 100–600 samples.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The protocols a stream is read over: the label values of the `riser_stream_*` metrics
 * (`socket`: Socket.IO; `ws`: the seed's plain WebSocket at `/chat/ws`).
 */
export type StreamProtocol = 'simple' | 'platform' | 'socket' | 'ws';
const STREAM_PROTOCOLS: readonly StreamProtocol[] = ['simple', 'platform', 'socket', 'ws'];

/**
 * Every metric Riser exports, in its own registry (two apps in one test process do not
 * share one). Names and labels are fixed by issue 13 and listed in the README; labels are
 * bounded: route templates, statuses and codes, never thread, run or user ids.
 */
export class RiserMetrics {
  readonly registry = new Registry();

  readonly runsStarted = this.counter('riser_runs_started_total', 'Runs admitted (a decided approval starts one too), by assistant and protocol', ['assistant', 'protocol']);
  readonly runsEnded = this.counter('riser_runs_ended_total', 'Runs whose end this replica recorded, by status and error code (`none` without one)', ['status', 'code']);
  readonly runsActive = this.gauge('riser_runs_active', 'Runs executing on this replica now');
  readonly runsPending = this.gauge('riser_runs_pending', 'Runs waiting to be claimed (queued behind a busy thread, delayed, handed back), all replicas');
  readonly queueWait = this.histogram('riser_run_queue_wait_seconds', 'From admission to the first attempt starting', FAST_BUCKETS.concat(60, 300));
  readonly runDuration = this.histogram('riser_run_duration_seconds', 'From the attempt starting to its end, by status', RUN_BUCKETS, ['status']);
  readonly timeToFirstToken = this.histogram('riser_run_time_to_first_token_seconds', 'From the attempt starting to its first model token', FAST_BUCKETS);
  readonly attempts = this.counter('riser_run_attempts_total', 'Attempts started on this replica (first ones and retries)');
  readonly takeovers = this.counter('riser_run_takeovers_total', 'Attempts that resumed a run another replica lost or handed back');
  readonly letGo = this.counter('riser_run_let_go_total', 'Attempts that stopped here without ending their run, by why (`fenced`, `handed_back`)', ['why']);

  readonly streamSubscribers = this.gauge('riser_stream_subscribers', 'Streams open to clients now, by protocol', ['protocol']);
  readonly streamFrames = new TallyCounter(this, 'riser_stream_frames_total', 'Data frames sent to stream clients (heartbeats not counted), by protocol', 'protocol', STREAM_PROTOCOLS);
  readonly streamBytes = new TallyCounter(this, 'riser_stream_bytes_total', 'Payload bytes of the data frames sent, by protocol', 'protocol', STREAM_PROTOCOLS);
  readonly streamHeartbeats = new TallyCounter(this, 'riser_stream_heartbeats_total', 'Heartbeats sent on idle SSE streams, and WebSocket pings (`ws`), by protocol', 'protocol', STREAM_PROTOCOLS);
  readonly streamEndings = this.counter('riser_stream_endings_total', 'Streams ended early by Riser, by reason (`slow_consumer`, `replay_gap`)', ['reason']);
  readonly streamRejoins = this.counter('riser_stream_rejoins_total', 'Streams opened to rejoin a run (after a cursor, or on a join route), by protocol', ['protocol']);

  readonly approvalsPending = this.gauge('riser_approvals_pending', 'Interrupts waiting for a decision, all replicas');
  readonly approvalsRequested = this.counter('riser_approvals_requested_total', 'Interrupts that asked for a decision');
  readonly approvalsDecided = this.counter('riser_approvals_decided_total', 'Decisions applied, by decision (`approve`, `reject`, `edit`, or `cancelled` by a new message)', ['decision']);
  readonly approvalDecisionSeconds = this.histogram('riser_approval_decision_seconds', 'From an interrupt asking to its decision', HUMAN_BUCKETS);

  readonly socketConnections = this.gauge('riser_socket_connections', 'Socket.IO connections open on this replica');
  readonly socketRefusals = this.counter('riser_socket_handshake_refusals_total', 'Socket.IO handshakes refused, by reason', ['reason']);
  readonly authRefusals = this.counter('riser_auth_refusals_total', 'Credentials refused (HTTP 401 and socket handshakes), by reason', ['reason']);

  readonly httpRequests = this.counter('riser_http_requests_total', 'HTTP requests answered, by route template, method and status', ['route', 'method', 'status']);
  readonly httpDuration = this.histogram('riser_http_request_duration_seconds', 'HTTP request duration to its last byte (a stream: its whole life), by route template and method', FAST_BUCKETS.concat(60, 120, 300), ['route', 'method']);

  readonly pgPool = this.gauge('riser_pg_pool_connections', 'Postgres pool connections, by state (`total`, `idle`, `waiting` clients)', ['state']);
  readonly redisUp = this.gauge('riser_redis_up', '1 when Redis (the run event store with replicas) is reachable, 0 when not; absent alone');

  private readonly beforeScrape: (() => Promise<void> | void)[] = [];

  /** Off (METRICS_PORT=0): nothing is served, and the per-frame and per-request paths count nothing. */
  constructor(readonly enabled = true) {
    if (enabled) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** State read when scraped (pool sizes, pending counts in Postgres), not kept up to date. */
  onScrape(refresh: () => Promise<void> | void): void {
    this.beforeScrape.push(refresh);
  }

  /** The Prometheus text exposition, state refreshed first (a failed refresh keeps its last values). */
  async scrape(): Promise<string> {
    await Promise.all(this.beforeScrape.map((refresh) => Promise.resolve().then(refresh).catch(() => undefined)));
    return this.registry.metrics();
  }

  /** Counts a stream Riser ends early: a subscriber's own `slow_consumer` or `replay_gap` event. */
  countEnding(event: RunEvent): void {
    if (!event.synthetic || event.event !== 'error') return;
    const code = event.data.code;
    if (code === StreamEndCode.slowConsumer || code === StreamEndCode.replayGap) this.streamEndings.inc({ reason: code });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[] = []) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []) {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, buckets: number[], labelNames: L[] = []) {
    return new Histogram<L>({ name, help, buckets, labelNames, registers: [this.registry] });
  }
}
