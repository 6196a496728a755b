const REDACTED = '[redacted]';

/** Schemes whose URLs are connection strings: the whole URL goes (host and database name too). */
const CONNECTION_STRING = /\b(postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z]+):\/\/[^\s'"<>]+/gi;
/** Any other URL carrying credentials: the `user:password@` part goes. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi;
/** `password=…`, `"api_key": "…"`, `token: …` in messages, query strings, JSON and logs. */
const KEY_VALUE =
  /(\b(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|token|authorization)\b["']?\s*[:=]\s*["']?)(?!\[redacted\]|Bearer\b|Basic\b)[^\s"'&;,}]+/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Keys that say what they are: OpenAI, Riser's own API keys, AWS, GitHub, Slack. */
const KNOWN_KEYS = /\b(?:sk-[A-Za-z0-9_-]{16,}|rsk_[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
/** A cheap first look: most text has none of these, and is returned as it is. */
const MAYBE = /:\/\/|password|passwd|pwd|secret|key|token|authorization|bearer|basic|eyJ|sk-|rsk_|AKIA|gh[pousr]_|xox|PRIVATE/i;

/**
 * Text with the credentials it may hold replaced by `[redacted]`: connection strings,
 * passwords in URLs, `password=`/`token:`-style pairs, bearer tokens, JWTs, well-known key
 * formats and PEM private keys. For what leaves the process — logs, and error messages a
 * client reads — since a graph's errors (a driver's, a tool's) carry whatever their
 * authors put in them.
 */
export function redactSecrets(text: string): string {
  if (!MAYBE.test(text)) return text;
  return text
    .replace(PRIVATE_KEY, REDACTED)
    .replace(CONNECTION_STRING, (_url, scheme: string) => `${scheme}://${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(KNOWN_KEYS, REDACTED)
    .replace(KEY_VALUE, `$1${REDACTED}`);
}

/**
 * A value for a log line with every string in it redacted; Errors become `{type, message,
 * stack}` (redacted) as pino's serializer would print them. Bounded: past `depth` levels a
 * value is left as it is (log fields are shallow).
 */
export function redactDeep(value: unknown, depth = 6): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    return { type: name, message: redactSecrets(message), stack: stack && redactSecrets(stack), ...(code !== undefined && { code }) };
  }
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth - 1));
  // Only plain records: requests, sockets and other class instances keep their own serializers.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, depth - 1);
  return out;
}
