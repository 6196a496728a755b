// The baseline: what a team would write from the seed's FastAPI example, in Fastify. It
// streams the same graph with LangGraph's `messages` stream mode and a PostgresSaver, writes
// one `data:` frame per non-empty token and `[DONE]`, and nothing else: no auth, no ids, no
// run registry, no rejoin, no heartbeats, no backpressure handling.
//
//   PORT=3100 HOST=127.0.0.1 DATABASE_URL=postgres://… node bench/baseline-server.mjs
//
// LangChain runs callback handlers in the background unless told otherwise, and under
// concurrency `messages` streams then lose tokens: this must be set before LangChain loads.
process.env.LANGCHAIN_CALLBACKS_BACKGROUND = 'false';

const { randomUUID } = await import('node:crypto');
const { default: Fastify } = await import('fastify');
const { default: pg } = await import('pg');
const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
const { workflow } = await import('./graph.mjs');

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '127.0.0.1';
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is required');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const checkpointer = new PostgresSaver(pool, undefined, { schema: process.env.BASELINE_SCHEMA ?? 'public' });
await checkpointer.setup();
const graph = workflow.compile({ checkpointer });

const app = Fastify({ logger: false });

app.get('/health/live', async () => ({ status: 'ok' }));

app.post('/chat/stream', async (request, reply) => {
  const { message, thread_id = randomUUID(), config } = request.body ?? {};
  if (typeof message !== 'string' || !message) return reply.code(400).send({ error: 'invalid_request' });
  const configurable = config?.configurable ?? {};

  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  try {
    const stream = await graph.stream(
      { messages: [{ role: 'user', content: message }] },
      {
        configurable: { ...configurable, thread_id },
        streamMode: 'messages',
      },
    );
    for await (const [chunk] of stream) {
      const content = typeof chunk?.content === 'string' ? chunk.content : '';
      if (content) reply.raw.write(`data: ${JSON.stringify({ content })}\n\n`);
    }
  } catch (err) {
    reply.raw.write(`data: ${JSON.stringify({ error: 'graph_error', message: String(err?.message ?? err) })}\n\n`);
  }
  reply.raw.write('data: [DONE]\n\n');
  reply.raw.end();
});

await app.listen({ port, host });

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', stop).once('SIGINT', stop);
