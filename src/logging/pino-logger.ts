import pino, { type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { redactDeep, redactSecrets } from '../security/secret-redaction.js';
import { scopeFields } from './log-scope.js';

const CHINDINGS = pino.symbols.chindingsSym;

/**
 * One JSON logger for the whole process: Fastify's request logs and Nest's (via
 * {@link PinoNestLogger}). Credentials are redacted wherever they could appear: known
 * fields by path, and any text (messages, error messages and stacks, nested fields) by
 * what it looks like (connection strings, passwords, keys, tokens: see redactSecrets).
 */
export function createRootLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        // pino takes an Error's message as the line's message before any formatter runs.
        const redacted =
          first instanceof Error
            ? [{ err: redactDeep(first) }, redactSecrets(typeof rest[0] === 'string' ? (rest.shift() as string) : first.message), ...rest]
            : [first, ...rest].map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
        return method.apply(this, redacted as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (fields) => redactDeep(fields) as Record<string, unknown>,
    },
    base: { service: 'riser' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The ids of the request and run the line is written for (src/logging/log-scope.ts);
    // Fastify's request logger binds `reqId` itself, so it is not written twice there.
    mixin: (_fields, _level, logger) => scopeFields(((logger as unknown as Record<symbol, string>)[CHINDINGS] ?? '').includes('"reqId"')),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        '*.authorization',
        '*.access_token',
        '*.token',
        '*.password',
        '*.secret',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        url: stripSecretsFromUrl(req.url),
        ip: req.ip,
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A URL as it may be logged: `access_token` and similar query values replaced. */
export function stripSecretsFromUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  return url.replace(/([?&](?:access_token|token|api_key)=)[^&#]*/gi, '$1[redacted]');
}

/** Nest's LoggerService over pino: Nest's context becomes a field, objects stay structured. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (message && typeof message === 'object') {
      const { msg, ...fields } = message as Record<string, unknown>;
      this.logger[level]({ context, ...fields }, typeof msg === 'string' ? msg : undefined);
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
