import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { envSchema } from './env.schema.js';
import { ConfigError, loadConfig } from './riser-config.js';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'riser-config-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string>) => loadConfig({ RISER_DATA_DIR: dataDir, ...env });
  const problems = (env: Record<string, string>) => {
    try {
      load(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('gives working defaults with nothing set: port 3000, embedded Postgres, a dev secret', () => {
    const config = load({});
    // Fail closed: the dev secret keeps the server on the loopback address.
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', env: 'development', usesDevSecret: true, loopbackForDevSecret: true });
    expect(config.persistence.databaseUrl).toBeUndefined();
    expect(config.auth.secret).toMatch(/^[\w-]{32,}$/);
    expect(config.auth.algorithms).toEqual(['HS256']);
    // The same secret on the next start (and for `npm run token`).
    expect(load({}).auth.secret).toBe(config.auth.secret);
    expect(config.http.corsOrigins).toBe('*');
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ DB_POOL_MAX: '0' }, 'DB_POOL_MAX'],
    // One connection deadlocks the checkpointer's setup (it holds one while it runs on another).
    [{ DB_POOL_MAX: '1' }, 'DB_POOL_MAX'],
    [{ DB_POOL_WAIT_MS: '0' }, 'DB_POOL_WAIT_MS'],
    [{ JWT_JWKS_URI: 'not a url' }, 'JWT_JWKS_URI'],
    [{ JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS'],
    [{ JWT_SECRET: 'x'.repeat(40), JWT_JWKS_URI: 'https://idp.test/jwks' }, 'JWT_SECRET and JWT_JWKS_URI'],
    [{ JWT_SECRET: 'x'.repeat(40), JWT_ALGORITHMS: 'RS256' }, 'JWT_ALGORITHMS'],
    [{ RUN_TIMEOUT_MS: '5000', RUN_TIMEOUT_MAX_MS: '1000' }, 'RUN_TIMEOUT_MS'],
    [{ API_KEYS: 'plain-key=alice' }, 'API_KEYS'],
    [{ LANGGRAPH_CONFIG: '/nope/langgraph.json' }, 'LANGGRAPH_CONFIG'],
    [{ LANGGRAPH_JSON: '/nope/langgraph.json' }, 'LANGGRAPH_JSON'],
    [{ LANGGRAPH_CONFIG: '{"agent": ' }, 'LANGGRAPH_CONFIG'],
    [{ LANGGRAPH_CONFIG: '{"agent": []}' }, 'LANGGRAPH_CONFIG'],
    [{ LANGGRAPH_CONFIG: '{"agent": {"configurable": {}, "surprise": 1}}' }, 'LANGGRAPH_CONFIG'],
    [{ GRAPH_ERROR_DETAIL: 'stack' }, 'GRAPH_ERROR_DETAIL'],
  ])('%o is refused, naming %s', (env, name) => {
    expect(problems(env)).toContain(name);
  });

  it('reads LANGGRAPH_CONFIG as the official server does (JSON default configs per graph), and an old-style path as the langgraph.json', () => {
    const defaults = load({ LANGGRAPH_CONFIG: '{"agent": {"configurable": {"model": "small"}, "context": {"tone": "dry"}, "tags": ["a"]}}' });
    expect(defaults.runCore.graphDefaults).toEqual({ agent: { config: { configurable: { model: 'small' }, tags: ['a'] }, context: { tone: 'dry' } } });
    const fixture = resolve(__dirname, '../../test/fixtures/langgraph.json');
    expect(load({ LANGGRAPH_CONFIG: fixture }).runCore).toMatchObject({ graphsConfigPath: fixture, graphsConfigFrom: 'LANGGRAPH_CONFIG', graphDefaults: {} });
    expect(load({ LANGGRAPH_JSON: fixture }).runCore).toMatchObject({ graphsConfigPath: fixture, graphsConfigFrom: 'LANGGRAPH_JSON' });
  });

  it('never echoes a secret value in its message', () => {
    expect(problems({ JWT_SECRET: 'tooshort-but-secret' })).not.toContain('tooshort-but-secret');
  });

  it('refuses production without JWT settings, and takes real ones', () => {
    expect(problems({ NODE_ENV: 'production' })).toMatch(/JWT_SECRET or JWT_JWKS_URI/);
    const config = load({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40) });
    expect(config.usesDevSecret).toBe(false);
    expect(config).toMatchObject({ host: '0.0.0.0', loopbackForDevSecret: false });
    expect(load({ HOST: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', usesDevSecret: true, loopbackForDevSecret: false });
    expect(config.http.corsOrigins).toEqual([]);
    const jwks = load({ NODE_ENV: 'production', JWT_JWKS_URI: 'https://idp.test/.well-known/jwks.json' });
    expect(jwks.auth).toMatchObject({ secret: undefined, algorithms: ['RS256', 'ES256'] });
  });

  it('parses API_KEYS into digests mapped to principals', () => {
    const digest = 'a'.repeat(64);
    const config = load({ API_KEYS: `sha256:${digest}=svc@acme#approver+ops` });
    expect(config.auth.apiKeys.get(digest)).toEqual({ sub: 'svc', tenant: 'acme', roles: ['approver', 'ops'] });
  });

  it('treats empty values as unset (as compose files pass them)', () => {
    expect(load({ JWT_ISSUER: '', DATABASE_URL: '' }).persistence.databaseUrl).toBeUndefined();
  });
});

describe('README', () => {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

  it('lists every environment variable with its default', () => {
    const documented = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => m[1]));
    expect([...Object.keys(envSchema.shape)].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('starts with the two commands a new user runs', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    expect(first).toMatch(/^npm ci && npm start/m);
    expect(first).toMatch(/^npm test/m);
  });
});
