import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashApiKey, mintToken } from '@riser/auth/dev';
import { durationSeconds } from '../config/duration.js';
import { ConfigError, loadConfig } from '../config/riser-config.js';

const USAGE = `Usage: npm run -s token -- --sub <subject> [--tenant <tenant>] [--roles a,b] [--ttl 1h]
       npm run -s token -- --api-key --sub <subject> [--tenant <tenant>] [--roles a,b]

Prints a JWT that Riser accepts with the same configuration (JWT_SECRET, or the local dev
secret in the data folder). With --api-key, prints a new API key and its API_KEYS entry.`;

function main(): number {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      tenant: { type: 'string' },
      roles: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      'api-key': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.sub) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const roles = values.roles?.split(',').map((r) => r.trim()).filter(Boolean) ?? [];
  if (values['api-key']) {
    const key = `rsk_${randomBytes(24).toString('base64url')}`;
    const entry = `sha256:${hashApiKey(key)}=${values.sub}${values.tenant ? `@${values.tenant}` : ''}${roles.length ? `#${roles.join('+')}` : ''}`;
    process.stdout.write(`${key}\n`);
    process.stderr.write(`Add to API_KEYS (comma-separated): ${entry}\n`);
    return 0;
  }
  const config = loadConfig();
  if (!config.auth.secret) {
    process.stderr.write('Riser is configured with JWT_JWKS_URI: tokens come from your identity provider.\n');
    return 1;
  }
  const ttl = durationSeconds(values.ttl!);
  if (!ttl) {
    process.stderr.write(`--ttl: must be a duration such as 3600, 15m, 1h or 7d\n`);
    return 2;
  }
  // A token Riser would refuse is no use: JWT_MAX_TTL caps every token's lifetime.
  if (ttl > config.auth.maxTtlSec) {
    process.stderr.write(`--ttl ${values.ttl} is longer than JWT_MAX_TTL allows (${config.auth.maxTtlSec} s)\n`);
    return 2;
  }
  process.stdout.write(
    `${mintToken({
      secret: config.auth.secret,
      sub: values.sub,
      tenant: values.tenant,
      roles,
      ttl,
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      tenantClaim: config.auth.tenantClaim,
      rolesClaim: config.auth.rolesClaim,
    })}\n`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exitCode = 1;
}
