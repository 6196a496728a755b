import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/env.schema.js';

/**
 * No Docker engine runs here, so the compose file and Dockerfile are checked against what
 * the app actually reads and serves: variable names, health routes, ports, users.
 */
const root = resolve(__dirname, '../..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'));
const dockerfile = readFileSync(resolve(root, 'docker/Dockerfile'), 'utf8');
const known = new Set(Object.keys(envSchema.shape));

describe('docker-compose.yml', () => {
  const riser = compose.services?.riser;

  it('has Postgres, Redis, Riser and nginx, Riser waiting for a healthy Postgres and Redis', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'riser', 'nginx']));
    expect(riser.depends_on.postgres.condition).toBe('service_healthy');
    expect(riser.depends_on.redis.condition).toBe('service_healthy');
    expect(compose.services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    const redis = compose.services.redis;
    expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs two Riser replicas on Redis, scalable with --scale riser=N', () => {
    expect(riser.deploy.replicas).toBe(2);
    // A fixed container name or host port would make a second replica fail to start.
    expect(riser.container_name).toBeUndefined();
    expect(riser.ports).toBeUndefined();
    const url = new URL(riser.environment.REDIS_URL);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe('redis');
    expect(url.port).toBe('6379');
    expect(envSchema.shape.REDIS_URL.safeParse(riser.environment.REDIS_URL).success).toBe(true);
  });

  it('sets only variables Riser reads', () => {
    const unknown = Object.keys(riser.environment).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });

  it('runs in production mode with a required JWT secret and a DATABASE_URL to the postgres service', () => {
    expect(riser.environment.NODE_ENV).toBe('production');
    expect(riser.environment.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
    const url = new URL(riser.environment.DATABASE_URL.replace(/\$\{[^}]+\}/g, 'x'));
    expect(url.hostname).toBe('postgres');
    expect(url.pathname).toBe(`/${compose.services.postgres.environment.POSTGRES_DB}`);
    expect(url.username).toBe(compose.services.postgres.environment.POSTGRES_USER);
  });

  it('puts nginx (with docker/nginx.conf) in front of the port Riser listens on, and checks a health route that exists', () => {
    // The metrics port is exposed to the compose network (Prometheus), never published.
    expect(riser.expose.map(String)).toEqual([riser.environment.PORT, riser.environment.METRICS_PORT]);
    expect(riser.ports).toBeUndefined();
    const nginx = compose.services.nginx;
    expect(nginx.volumes).toContain('./docker/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    const nginxConf = readFileSync(resolve(root, 'docker/nginx.conf'), 'utf8');
    expect(nginxConf).toMatch(new RegExp(`server riser:${riser.environment.PORT} resolve[^;]*;`));
    const listen = /listen (\d+);/.exec(nginxConf)![1];
    expect(String(nginx.ports[0]).split(':').pop()).toBe(listen);
    expect(nginx.depends_on.riser.condition).toBe('service_healthy');
    expect(riser.environment.TRUST_PROXY).toBe('true');
    expect(riser.healthcheck.test.join(' ')).toMatch(new RegExp(`127\\.0\\.0\\.1:${riser.environment.PORT}/health/(ready|live)`));
    const controller = readFileSync(resolve(root, 'src/http/health/health.controller.ts'), 'utf8');
    expect(controller).toMatch(/@Controller\('health'\)/);
    expect(controller).toMatch(/@Get\('ready'\)/);
    expect(controller).toMatch(/@Get\('live'\)/);
  });

  it('has an observability profile: Prometheus scraping the metrics port, Grafana provisioned with the dashboard', () => {
    const { prometheus, grafana } = compose.services;
    for (const service of [prometheus, grafana]) expect(service.profiles).toEqual(['observability']);
    for (const name of ['postgres', 'riser', 'nginx']) expect(compose.services[name].profiles).toBeUndefined();
    const scrape = parse(readFileSync(resolve(root, 'docker/prometheus/prometheus.yml'), 'utf8'));
    const target = scrape.scrape_configs[0].dns_sd_configs[0];
    expect(target.names).toEqual(['riser']);
    expect(String(target.port)).toBe(riser.environment.METRICS_PORT);
    expect(prometheus.volumes).toContain('./docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // Provisioning: the datasource the dashboard's panels name, and the folder it is loaded from.
    expect(grafana.volumes).toContain('./docker/grafana/provisioning:/etc/grafana/provisioning:ro');
    const mounted = grafana.volumes.find((v: string) => v.startsWith('./docker/grafana/riser-dashboard.json:'));
    const provider = parse(readFileSync(resolve(root, 'docker/grafana/provisioning/dashboards/riser.yml'), 'utf8')).providers[0];
    expect(mounted.split(':')[1]).toBe(`${provider.options.path}/riser-dashboard.json`);
    const datasource = parse(readFileSync(resolve(root, 'docker/grafana/provisioning/datasources/prometheus.yml'), 'utf8')).datasources[0];
    expect(datasource.url).toBe('http://prometheus:9090');
    const dashboard = JSON.parse(readFileSync(resolve(root, 'docker/grafana/riser-dashboard.json'), 'utf8'));
    const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) expect(panel.datasource.uid).toBe(datasource.uid);
  });

  it('balances every replica in docker/nginx.conf, round-robin with no sticky sessions', () => {
    const nginxConf = readFileSync(resolve(root, 'docker/nginx.conf'), 'utf8');
    const upstream = /upstream riser \{([^}]*)\}/.exec(nginxConf)![1];
    // One name for all replicas, re-resolved through Docker's DNS as replicas come and go
    // (`resolve` needs a shared-memory zone and a resolver).
    expect(upstream).toMatch(/^\s*server riser:\d+ resolve( \S+)*;$/m);
    expect(upstream).toMatch(/^\s*zone \S+ \d+k;$/m);
    expect(nginxConf).toMatch(/^resolver 127\.0\.0\.11\b/m);
    expect(upstream).not.toMatch(/\b(ip_hash|hash|sticky|least_conn|random)\b/);
    // `resolve` on an upstream server is open-source nginx since 1.27.3.
    const [major, minor] = /nginx:(\d+)\.(\d+)/.exec(compose.services.nginx.image)!.slice(1).map(Number);
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(1027);
  });

  it('gives Riser longer to stop than its shutdown grace', () => {
    const grace = Number(/SHUTDOWN_GRACE_MS:-(\d+)/.exec(riser.environment.SHUTDOWN_GRACE_MS)?.[1]);
    expect(parseInt(riser.stop_grace_period, 10) * 1000).toBeGreaterThan(grace);
  });
});

describe('docker/Dockerfile', () => {
  it('is multi-stage, on a current Node LTS, with production dependencies only', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(Number(/ARG NODE_VERSION=(\d+)/.exec(dockerfile)?.[1])).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a non-root user, the built entry point, with a health check', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)![1];
    expect(JSON.parse(cmd)).toContain('dist/src/main.js');
    const build = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).scripts.build as string;
    expect(build).toMatch(/-d dist/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health\/live/);
  });

  it('copies every folder the build compiles', () => {
    for (const dir of ['src', 'libs']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });
});
