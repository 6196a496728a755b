// The in-process floor: the same graph and the same kind of checkpointer (PostgresSaver on a
// pg pool of 10), run at the same concurrency as a scenario, with no HTTP at all. CPU comes
// from process.cpuUsage() (the whole process, as /proc gives for the servers). Two ways to
// read the tokens (`mode`):
//   - "messages": `graph.stream(…, { streamMode: 'messages' })`, as the baseline server does;
//   - "handler": `graph.invoke(…)` with one bare callback handler that takes each token from
//     `handleLLMNewToken` (awaited, streaming preferred), the way Riser's RunTokenHandler reads
//     them, so the cost of LangGraph's `messages` mode is left out.
// Run by bench/run.mjs as a child process:
//
//   node bench/inprocess.mjs '{"mode":"messages","databaseUrl":"postgres://…","warmup":{…},"scenarios":[…]}'
//
// and prints one JSON line per scenario.
process.env.LANGCHAIN_CALLBACKS_BACKGROUND = 'false';

const { performance } = await import('node:perf_hooks');
const { randomUUID } = await import('node:crypto');
const { default: pg } = await import('pg');
const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
const { workflow } = await import('./graph.mjs');
const { expectedToken } = await import('./sse-stats.mjs');
const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base');

const spec = JSON.parse(process.argv[2] ?? '{}');
const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 10 });
const checkpointer = new PostgresSaver(pool);
await checkpointer.setup();
const graph = workflow.compile({ checkpointer });

class TokenReader extends BaseCallbackHandler {
  name = 'bench-token-reader';
  awaitHandlers = true;
  lc_prefer_streaming = true;
  constructor(onToken) {
    super();
    this.onToken = onToken;
  }
  handleLLMNewToken(token, _idx, _runId, _parentRunId, _tags, fields) {
    const content = fields?.chunk?.message?.content ?? token;
    if (typeof content === 'string' && content) this.onToken(content);
  }
}

async function oneRun(tokens, delay, yieldEach) {
  let count = 0;
  let mismatches = 0;
  if (spec.mode === 'handler') {
    const reader = new TokenReader((content) => {
      if (content !== expectedToken(count)) mismatches += 1;
      count += 1;
    });
    await graph.invoke(
      { messages: [{ role: 'user', content: 'bench' }] },
      { configurable: { thread_id: randomUUID(), tokens, token_delay_ms: delay, token_yield: yieldEach }, callbacks: [reader] },
    );
    return { count, mismatches };
  }
  const stream = await graph.stream(
    { messages: [{ role: 'user', content: 'bench' }] },
    { configurable: { thread_id: randomUUID(), tokens, token_delay_ms: delay, token_yield: yieldEach }, streamMode: 'messages' },
  );
  for await (const [chunk] of stream) {
    const content = typeof chunk?.content === 'string' ? chunk.content : '';
    if (!content) continue;
    if (content !== expectedToken(count)) mismatches += 1;
    count += 1;
  }
  return { count, mismatches };
}

async function phase({ concurrency, requests, tokens, delay, yieldEach = false }) {
  let next = 0;
  let total = 0;
  let short = 0;
  let errors = 0;
  let mismatches = 0;
  const worker = async () => {
    while (next < requests) {
      next += 1;
      try {
        const r = await oneRun(tokens, delay, yieldEach);
        total += r.count;
        mismatches += r.mismatches;
        if (r.count < tokens) short += 1;
      } catch {
        errors += 1;
        short += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  return { tokens: total, short, errors, mismatches };
}

for (const w of [spec.warmup ?? []].flat()) await phase(w);
for (const scenario of spec.scenarios ?? []) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await phase(scenario);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({ name: scenario.name, cpuUs: cpu.user + cpu.system, wallMs, rssBytes: process.memoryUsage().rss, ...r })}\n`,
  );
}
await pool.end();
