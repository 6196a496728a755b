import net from 'node:net';
import { SseParser, type SseFrame } from '@riser/testing';

/**
 * A client on a raw TCP socket, which can stop reading at will (fetch cannot: it keeps
 * pulling into its own buffers). Its kernel receive buffer fills, then the server's.
 */
export function rawSse(url: string, path: string, token: string, body: object) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const payload = JSON.stringify(body);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `Accept: text/event-stream\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
  const parser = new SseParser();
  const frames: SseFrame[] = [];
  let head = '';
  let inBody = false;
  let chunked = '';
  let endResponse!: () => void;
  // The response ends with its zero-length chunk; the connection itself stays open (keep-alive).
  const ended = new Promise<void>((resolve) => (endResponse = resolve));
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    if (!inBody) {
      head += text;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      inBody = true;
      text = head.slice(end + 4);
    }
    // Chunked transfer coding: strip the chunk-size lines (one pass, however much arrived).
    chunked += text;
    const parts: string[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = chunked.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = parseInt(chunked.slice(at, lineEnd), 16);
      if (Number.isNaN(size) || chunked.length < lineEnd + 2 + size + 2) break;
      if (size === 0) endResponse();
      parts.push(chunked.slice(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    chunked = chunked.slice(at);
    if (parts.length) for (const frame of parser.push(Buffer.from(parts.join(''), 'latin1').toString('utf8'))) frames.push(frame);
  });
  socket.once('close', () => endResponse());
  return { socket, frames, ended, status: () => /^HTTP\/1\.1 (\d+)/.exec(head)?.[1] };
}
