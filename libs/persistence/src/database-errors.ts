/**
 * Errors that say the database cannot be reached right now (not that a statement was wrong):
 * no free pool connection within DB_POOL_WAIT_MS, a connection refused, cut or timed out, the
 * server shutting down or out of connections. Callers answer these as `unavailable` (HTTP
 * 503), so a client retries instead of reading a server fault.
 */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** SQLSTATEs: too_many_connections, admin_shutdown, crash_shutdown, cannot_connect_now. */
const SERVER_CODES = new Set(['53300', '57P01', '57P02', '57P03']);

export function isDatabaseUnavailable(err: unknown): boolean {
  // Not `instanceof Error`: socket errors come from Node's own realm, which a sandbox
  // (a test runner, a vm) does not share.
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && (message === POOL_WAIT_TIMEOUT || message.startsWith('Connection terminated'));
}
