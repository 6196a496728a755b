// The benchmark's load generator must read streams exactly: a token it misses or invents is
// a wrong number in bench/RESULTS.md. Its parser and counters (sse-stats.mjs), then the
// generator itself (load.mjs) against a small HTTP server that cuts frames anywhere.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from './load.mjs';
import { SseParser, StreamStats, expectedToken, percentile, summarizeStreams, type SseEvent, type StreamResult } from './sse-stats.mjs';

interface StreamShape {
  eol?: string;
  /** A `: heartbeat` comment before every n-th token (0: none). */
  heartbeatEvery?: number;
  done?: boolean;
  /** Token indexes left out (lost tokens). */
  skip?: number[];
  /** Token indexes sent twice. */
  repeat?: number[];
  ids?: boolean;
}

/** A stream as Riser writes it: a meta frame, one frame per token, `[DONE]`; ids on every frame. */
function sseText(tokens: number, shape: StreamShape = {}): string {
  const { eol = '\n', heartbeatEvery = 0, done = true, skip = [], repeat = [], ids = true } = shape;
  let id = 0;
  const frame = (data: string) => `${ids ? `id: ${++id}${eol}` : ''}data: ${data}${eol}${eol}`;
  let out = frame(JSON.stringify({ thread_id: 't-1', run_id: 'r-1' }));
  for (let i = 0; i < tokens; i++) {
    if (heartbeatEvery && i % heartbeatEvery === 0) out += `: heartbeat${eol}${eol}`;
    if (skip.includes(i)) continue;
    out += frame(JSON.stringify({ content: expectedToken(i) }));
    if (repeat.includes(i)) out += frame(JSON.stringify({ content: expectedToken(i) }));
  }
  if (done) out += frame('[DONE]');
  return out;
}

function parse(chunks: Array<string | Uint8Array>): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  parser.end();
  return events;
}

/** A deterministic PRNG (mulberry32), so a failing split can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplit<T extends string | Uint8Array>(whole: T, rand: () => number, maxLen = 17): T[] {
  const parts: T[] = [];
  for (let at = 0; at < whole.length; ) {
    const len = 1 + Math.floor(rand() * maxLen);
    parts.push(whole.slice(at, at + len) as T);
    at += len;
  }
  return parts;
}

const EOLS = { LF: '\n', CRLF: '\r\n', CR: '\r' } as const;

describe('SseParser', () => {
  const expected: SseEvent[] = [
    { type: 'event', id: '1', event: undefined, data: '{"thread_id":"t-1","run_id":"r-1"}' },
    { type: 'comment', comment: 'heartbeat' },
    { type: 'event', id: '2', event: undefined, data: '{"content":"tok0 "}' },
    { type: 'event', id: '3', event: undefined, data: '{"content":"tok1 "}' },
    { type: 'comment', comment: 'heartbeat' },
    { type: 'event', id: '4', event: undefined, data: '{"content":"tok2 "}' },
    { type: 'event', id: '5', event: undefined, data: '[DONE]' },
  ];

  it.each(Object.entries(EOLS))('reads frames, ids and heartbeats with %s line ends', (_name, eol) => {
    expect(parse([sseText(3, { eol, heartbeatEvery: 2 })])).toEqual(expected);
  });

  it.each(Object.entries(EOLS))('gives the same events wherever one chunk boundary falls (%s)', (_name, eol) => {
    const whole = sseText(3, { eol, heartbeatEvery: 2 });
    for (let at = 0; at <= whole.length; at++) {
      expect(parse([whole.slice(0, at), whole.slice(at)])).toEqual(expected);
    }
  });

  it.each(Object.entries(EOLS))('gives the same events one character at a time and in random chunks (%s)', (_name, eol) => {
    const whole = sseText(3, { eol, heartbeatEvery: 2 });
    expect(parse([...whole])).toEqual(expected);
    const rand = prng(42);
    for (let round = 0; round < 300; round++) expect(parse(randomSplit(whole, rand))).toEqual(expected);
  });

  it('joins data lines with "\\n", even when a CRLF is split between chunks', () => {
    const events = parse(['id: 7\r\ndata: first\r', '\ndata: second\r', '\n\r', '\n']);
    expect(events).toEqual([{ type: 'event', id: '7', event: undefined, data: 'first\nsecond' }]);
  });

  it('decodes UTF-8 split inside a character', () => {
    const bytes = new TextEncoder().encode('data: {"content":"héllo ✓ 🚀"}\n\n');
    const rand = prng(7);
    for (let round = 0; round < 100; round++) {
      expect(parse(randomSplit(bytes, rand, 3))).toEqual([{ type: 'event', id: undefined, event: undefined, data: '{"content":"héllo ✓ 🚀"}' }]);
    }
  });

  it('follows the field rules: no space kept after the colon once, event names, no dispatch without data, unfinished event dropped', () => {
    const events = parse(['data:no-space\n\n', 'data:  two spaces\n\n', 'event: custom\ndata: x\n\n', 'id: 9\n\n', 'retry: 5\n\n', 'data: never finished']);
    expect(events).toEqual([
      { type: 'event', id: undefined, event: undefined, data: 'no-space' },
      { type: 'event', id: undefined, event: undefined, data: ' two spaces' },
      { type: 'event', id: undefined, event: 'custom', data: 'x' },
    ]);
  });
});

describe('StreamStats', () => {
  it('counts tokens, times TTFB, TTFT and gaps by chunk arrival, and sees [DONE]', () => {
    const s = new StreamStats({ expectedTokens: 4, t0: 100 });
    s.headers(105, 200);
    // Frames that arrive in one chunk are 0 ms apart; the heartbeat is not a token.
    const text = sseText(4);
    const at = (id: number) => text.indexOf(`id: ${id}\n`);
    s.chunk(text.slice(0, at(4)), 110); // meta, tok0, tok1
    s.chunk(text.slice(at(4), at(5)), 130); // tok2
    s.chunk(': heartbeat\n\n', 140);
    s.chunk(text.slice(at(5)), 155); // tok3, [DONE]
    s.finish(156);
    const r = s.result();
    expect(r).toMatchObject({ status: 200, ttfb: 5, ttft: 10, tokens: 4, done: true, short: false, mismatches: 0, comments: 1, errors: [] });
    expect(r.gaps).toEqual([0, 20, 25]);
    expect(r.ids).toBe(6);
    expect(r.nonMonotonicIds).toBe(0);
  });

  it('calls a stream short without [DONE], or with fewer tokens than expected', () => {
    const noDone = new StreamStats({ expectedTokens: 3, t0: 0 });
    noDone.headers(1, 200);
    noDone.chunk(sseText(3, { done: false }), 2);
    noDone.finish(3);
    expect(noDone.result()).toMatchObject({ tokens: 3, done: false, short: true });

    const fewer = new StreamStats({ expectedTokens: 3, t0: 0 });
    fewer.headers(1, 200);
    fewer.chunk(sseText(2), 2);
    fewer.finish(3);
    expect(fewer.result()).toMatchObject({ tokens: 2, done: true, short: true });

    const whole = new StreamStats({ expectedTokens: 3, t0: 0 });
    whole.headers(1, 200);
    whole.chunk(sseText(3), 2);
    whole.finish(3);
    expect(whole.result()).toMatchObject({ tokens: 3, done: true, short: false, mismatches: 0 });
  });

  it('counts lost, repeated and extra tokens as mismatches', () => {
    const run = (text: string, expectedTokens: number) => {
      const s = new StreamStats({ expectedTokens, t0: 0 });
      s.headers(0, 200);
      s.chunk(text, 1);
      s.finish(1);
      return s.result();
    };
    expect(run(sseText(5, { skip: [2] }), 5)).toMatchObject({ tokens: 4, short: true });
    expect(run(sseText(5, { skip: [2] }), 5).mismatches).toBeGreaterThan(0);
    expect(run(sseText(5, { repeat: [1] }), 5).mismatches).toBeGreaterThan(0);
    expect(run(sseText(6), 5)).toMatchObject({ tokens: 6, short: false, mismatches: 1 });
  });

  it('records HTTP errors, error frames, data after [DONE] and ids that go backwards', () => {
    const busy = new StreamStats({ expectedTokens: 2, t0: 0 });
    busy.headers(3, 409);
    busy.chunk('{"error":"thread_busy"}', 4);
    busy.finish(4);
    expect(busy.result()).toMatchObject({ status: 409, errors: ['http_409'], tokens: 0, short: true });

    const failed = new StreamStats({ expectedTokens: 2, t0: 0 });
    failed.headers(1, 200);
    failed.chunk(sseText(1, { done: false }) + 'id: 3\ndata: {"error":"timeout","message":"x"}\n\nid: 4\ndata: [DONE]\n\n', 2);
    failed.chunk('data: {"content":"late"}\n\nid: 2\ndata: {"content":"x"}\n\n', 3);
    failed.finish(3);
    expect(failed.result()).toMatchObject({ tokens: 1, done: true, short: true, errors: ['frame_timeout'], afterDone: 2, nonMonotonicIds: 1 });

    const dropped = new StreamStats({ expectedTokens: 2, t0: 0 });
    dropped.headers(1, 200);
    dropped.chunk(sseText(2, { done: false }).slice(0, -5), 2);
    dropped.fail('UND_ERR_SOCKET', 9);
    expect(dropped.result()).toMatchObject({ tokens: 1, short: true, errors: ['UND_ERR_SOCKET'], endedAt: 9 });
  });
});

describe('percentile and summarizeStreams', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('adds up tokens, short streams and errors over streams', () => {
    const result = (over: Partial<StreamResult>): StreamResult => ({
      status: 200,
      ttfb: 1,
      ttft: 2,
      tokens: 3,
      gaps: [1, 1],
      done: true,
      short: false,
      mismatches: 0,
      afterDone: 0,
      comments: 0,
      ids: 0,
      nonMonotonicIds: 0,
      errors: [],
      endedAt: 5,
      ...over,
    });
    const s = summarizeStreams([
      result({ ttfb: 10, gaps: [20, 40] }),
      result({ ttfb: 30 }),
      result({ tokens: 1, gaps: [], done: false, short: true, ttft: 50 }),
      result({ status: 503, tokens: 0, gaps: [], ttft: undefined, done: false, short: true, errors: ['http_503'] }),
    ]);
    expect(s).toMatchObject({ streams: 4, tokens: 7, done: 2, short: 2, errors: 1, errorCodes: { http_503: 1 } });
    expect(s.ttfbP50).toBe(1);
    expect(s.ttfbP99).toBe(30);
    expect(s.ttftP99).toBe(50);
    expect(s.gapP50).toBe(1);
    expect(s.gapP99).toBe(40);
  });
});

describe('load generator (real HTTP)', () => {
  let server: Server;
  let url: string;
  const seen: unknown[] = [];

  /** Writes a stream in pieces of random size, each in its own event-loop turn. */
  async function writeInPieces(res: ServerResponse, text: string, seed: number): Promise<void> {
    const rand = prng(seed);
    for (const piece of randomSplit(text, rand, 40)) {
      res.write(piece);
      await new Promise((r) => setImmediate(r));
    }
  }

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', async () => {
        const body = JSON.parse(raw) as { message: string; config: { configurable: { tokens: number; seed: number } } };
        seen.push({ auth: req.headers.authorization, body });
        const { tokens, seed } = body.config.configurable;
        if (body.message === 'busy') {
          res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":"thread_busy"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (body.message === 'drop') {
          await writeInPieces(res, sseText(tokens, { done: false }).slice(0, -3), seed);
          res.destroy();
          return;
        }
        const shape: StreamShape =
          body.message === 'short' ? { done: false } : body.message === 'lose' ? { skip: [3] } : { eol: seed % 2 ? '\r\n' : '\n', heartbeatEvery: 4 };
        await writeInPieces(res, sseText(tokens, shape), seed);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chat/stream`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('counts every token of whole streams cut at arbitrary places, at concurrency', async () => {
    const summary = await runLoad({
      url,
      headers: { authorization: 'Bearer x' },
      body: (i) => ({ message: 'ok', config: { configurable: { tokens: 50, seed: i + 1 } } }),
      concurrency: 8,
      requests: 40,
      expectedTokens: 50,
    });
    expect(summary).toMatchObject({ streams: 40, tokens: 2000, done: 40, short: 0, errors: 0, mismatches: 0 });
    expect(summary.ttfbP99).toBeGreaterThanOrEqual(0);
    expect(summary.ttftP50).toBeGreaterThanOrEqual(summary.ttfbP50);
    expect(seen).toContainEqual({ auth: 'Bearer x', body: { message: 'ok', config: { configurable: { tokens: 50, seed: 40 } } } });
  });

  it('tells short streams, lost tokens, HTTP errors and dropped connections apart', async () => {
    const kinds = ['ok', 'short', 'lose', 'busy', 'drop', 'ok'];
    const summary = await runLoad({
      url,
      body: (i) => ({ message: kinds[i], config: { configurable: { tokens: 20, seed: 100 + i } } }),
      concurrency: 3,
      requests: kinds.length,
      expectedTokens: 20,
    });
    // ok ×2: whole; short: 20 tokens, no [DONE]; lose: 19 tokens; busy: 409; drop: cut mid-stream.
    expect(summary.streams).toBe(6);
    expect(summary.done).toBe(3);
    expect(summary.short).toBe(4);
    expect(summary.errors).toBe(2);
    expect(summary.errorCodes.http_409).toBe(1);
    expect(summary.mismatches).toBeGreaterThan(0);
    expect(summary.tokens).toBeGreaterThanOrEqual(20 * 2 + 20 + 19);
    expect(summary.tokens).toBeLessThan(20 * 2 + 20 + 19 + 20);
  });
});
