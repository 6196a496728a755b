import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RISER_CONFIG, type RiserConfig } from '../config/riser-config.js';
import { RiserMetrics } from './riser-metrics.js';

/**
 * `GET /metrics` on its own port (METRICS_PORT, 0 = off): not behind the public port, its
 * auth or nginx, so Prometheus needs no token and nothing leaks outside. A port already in
 * use is logged and the service runs on without metrics: a scrape target is not worth an outage.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsServer');
  private server?: Server;

  constructor(
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
    private readonly metrics: RiserMetrics,
  ) {}

  /** The port it listens on, once listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metrics.port;
    if (!port) return;
    const server = createServer((req, res) => {
      const path = req.url?.split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
        return;
      }
      this.metrics.scrape().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
        (err: Error) => {
          this.logger.error({ msg: 'metrics scrape failed', err: err.message });
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.logger.error({ msg: 'metrics server could not listen: metrics are off', port, code: err.code });
        resolve();
      });
      server.listen(port, this.config.host, () => {
        this.server = server;
        this.logger.log({ msg: 'metrics are served', url: `http://${this.config.host}:${port}/metrics` });
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
