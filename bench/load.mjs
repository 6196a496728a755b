// The load generator: C concurrent streams until R requests are done, over undici with
// keep-alive connections (one Agent per phase, so every phase starts from fresh
// connections), each body parsed as it arrives (sse-stats.mjs). Given several URLs (the
// replicas of one service), request i goes to URL i mod their number.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { StreamStats, summarizeStreams } from './sse-stats.mjs';

/**
 * Starts a phase and returns at once: `state` counts streams live (read it while the phase
 * runs), `done` resolves with every stream's result and the phase's wall time.
 *
 * @param {{
 *   url: string | string[],           // the POST /chat/stream URL (several: request i → url[i % n])
 *   headers?: Record<string, string>,
 *   body: (i: number) => unknown,     // the JSON body of request i
 *   concurrency: number,
 *   requests: number,
 *   expectedTokens: number,
 *   timeoutMs?: number,               // a stream silent for this long fails
 * }} options
 */
export function startLoad({ url, headers = {}, body, concurrency, requests, expectedTokens, timeoutMs = 120_000 }) {
  const urls = Array.isArray(url) ? url : [url];
  if (urls.length === 0) throw new Error('startLoad: no URL');
  const agent = new Agent({
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    connect: { timeout: 60_000 },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const state = { started: 0, headers: 0, streaming: 0, finished: 0, requests };
  const results = new Array(requests);
  let next = 0;
  const t0 = performance.now();

  async function one(i) {
    const payload = JSON.stringify(body(i));
    const stats = new StreamStats({ expectedTokens, t0: performance.now() });
    state.started += 1;
    let headed = false;
    let streaming = false;
    try {
      const res = await request(urls[i % urls.length], {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: payload,
        dispatcher: agent,
      });
      stats.headers(performance.now(), res.statusCode);
      headed = true;
      state.headers += 1;
      for await (const chunk of res.body) {
        stats.chunk(chunk, performance.now());
        if (!streaming && stats.tokens > 0) {
          streaming = true;
          state.streaming += 1;
        }
      }
      stats.finish(performance.now());
    } catch (err) {
      stats.fail(err?.code ?? err?.name ?? 'error', performance.now());
    }
    if (headed) state.headers -= 1;
    if (streaming) state.streaming -= 1;
    state.finished += 1;
    results[i] = stats.result();
  }

  async function worker() {
    while (next < requests) await one(next++);
  }

  const done = (async () => {
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
    const wallMs = performance.now() - t0;
    await agent.close().catch(() => undefined);
    return { results, wallMs };
  })();
  return { state, done };
}

/** Runs a phase to its end and summarizes it. */
export async function runLoad(options) {
  const { done } = startLoad(options);
  const { results, wallMs } = await done;
  return { ...summarizeStreams(results), wallMs };
}
