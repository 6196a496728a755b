import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APPEND_EVENTS, LEAVE_RUN } from './redis-scripts.js';

/** Riser's scripts, sent once and then called by hash (EVALSHA), not as their whole text each time. */
export interface RiserScripts {
  riserAppend(stream: string, fence: string, ...args: (string | number)[]): Promise<number>;
  riserLeave(presence: string, boot: string): Promise<number>;
}

export interface RedisOptions {
  url: string;
  /** Every key and channel starts with it (several deployments can share one Redis). */
  prefix: string;
}

/** How long Redis may be unreachable before what depends on it is given up (mirrors, streams). */
export const OUTAGE_GRACE_MS = 3000;

/**
 * The two Redis connections a replica uses: one for commands and scripts, one for pub/sub
 * (a subscribed connection can do nothing else). Commands fail fast while Redis is down
 * instead of queueing, so callers answer `unavailable` rather than hang; both reconnect on
 * their own, and subscriptions are restored when they do.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  readonly command: Redis & RiserScripts;
  readonly subscriber: Redis;
  /**
   * For the Socket.IO adapter, which duplicates it for its blocking reads: it queues commands
   * while Redis is down (a client that fails fast would make the adapter's read loop spin).
   */
  readonly adapter: Redis;
  private downSince: number | undefined;
  private readonly outageListeners = new Set<() => void>();
  private outageTimer?: NodeJS.Timeout;
  private closing = false;

  private constructor(readonly options: RedisOptions) {
    const settings = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    // Auto-pipelining: the appends of many runs issued in one tick leave in one write.
    this.command = new Redis(options.url, { ...settings, enableAutoPipelining: true }) as Redis & RiserScripts;
    this.command.defineCommand('riserAppend', { numberOfKeys: 2, lua: APPEND_EVENTS });
    this.command.defineCommand('riserLeave', { numberOfKeys: 1, lua: LEAVE_RUN });
    // The subscriber queues its (re)subscriptions until it is connected.
    this.subscriber = new Redis(options.url, { ...settings, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.adapter = new Redis(options.url, { ...settings, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.adapter.on('error', () => undefined);
    for (const client of [this.command, this.subscriber]) {
      client.on('error', () => undefined); // reported through 'close' / 'ready'
      client.on('close', () => this.down());
      client.on('ready', () => this.up());
    }
  }

  /** Connects both, or fails with a message naming the server (never its password). */
  static async connect(options: RedisOptions): Promise<RedisConnection> {
    const connection = new RedisConnection(options);
    try {
      await Promise.all([connection.command.connect(), connection.subscriber.connect(), connection.adapter.connect()]);
      await connection.command.ping();
    } catch (err) {
      connection.close();
      throw new Error(`Redis at ${redact(options.url)} is unreachable: ${(err as Error).message}`);
    }
    return connection;
  }

  key(...parts: string[]): string {
    return this.options.prefix + parts.join(':');
  }

  get available(): boolean {
    return this.downSince === undefined && this.command.status === 'ready';
  }

  /** Called once Redis has been unreachable for OUTAGE_GRACE_MS. */
  onOutage(listener: () => void): void {
    this.outageListeners.add(listener);
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.outageTimer);
    this.command.disconnect();
    this.subscriber.disconnect();
    this.adapter.disconnect();
  }

  private down(): void {
    if (this.downSince !== undefined || this.closing) return;
    this.downSince = Date.now();
    this.logger.warn('connection to Redis lost; reconnecting');
    this.outageTimer = setTimeout(() => {
      if (this.downSince === undefined) return;
      for (const listener of this.outageListeners) listener();
    }, OUTAGE_GRACE_MS);
    this.outageTimer.unref();
  }

  private up(): void {
    if (this.command.status !== 'ready' || this.subscriber.status !== 'ready') return;
    if (this.downSince !== undefined) this.logger.log(`Redis is back after ${Date.now() - this.downSince} ms`);
    this.downSince = undefined;
    clearTimeout(this.outageTimer);
  }
}

/** A Redis URL without its password. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
