import type { IncomingMessage } from 'node:http';

/**
 * Resolves once the rest of a refused request's body has been read and thrown away, or
 * once `maxBytes` more have come without its end. Answering a too-large body at once and
 * closing, as Node does for a request not fully read, resets the connection while the
 * client is still sending: fetch (undici) then fails with EPIPE and never reads the 413.
 * Past `maxBytes` (a client that will not stop) the answer goes anyway, and the connection
 * is closed after it.
 */
export function drainRequest(req: IncomingMessage, maxBytes: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const finish = () => {
      req.off('data', onData).off('end', finish).off('close', finish).off('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) finish();
    };
    req.on('data', onData).once('end', finish).once('close', finish).once('error', finish);
    req.resume();
  });
}
