import { randomBytes } from 'node:crypto';
import { bearer, connectChat, createTestDatabase, frameData, openSse, request, runMessages, tokenFactory } from '@riser/testing';
import { startOtlpReceiver, type OtlpSpan } from '../support/otlp-receiver.js';
import { cleanEnv, freePort, startRiserProcess, type RiserProcess } from '../support/riser-process.js';

const SECRET = 't'.repeat(48);
const token = tokenFactory(SECRET)('tess', { tenant: 'acme', roles: ['approver'] });
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

async function until(seen: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error(`never came: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('OpenTelemetry traces (a real process exporting to a local OTLP/HTTP receiver)', () => {
  let riser: RiserProcess;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createTestDatabase();
    riser = await startRiserProcess(
      cleanEnv({
        PORT: String(await freePort()),
        DATABASE_URL: db.url,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'info',
        DEMO_TOKEN_DELAY_MS: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'riser-e2e',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      }),
    );
  });
  afterAll(async () => {
    riser.child.kill('SIGTERM');
    await riser.exited;
    await receiver.close();
    await db.drop();
  });

  const chat = async (body: object, traceparent: string) =>
    frameData(await (await openSse(`${riser.url}/chat/stream`, { headers: { ...bearer(token), traceparent }, body })).collect());
  const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const one = (spans: OtlpSpan[], match: (s: OtlpSpan) => boolean, what: string) => {
    const found = spans.filter(match);
    if (found.length !== 1) throw new Error(`expected one ${what}, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
    return found[0];
  };

  it('one POST /chat/stream is one trace under the client’s traceparent: request → run → node → model', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const data = await chat({ message: 'trace me', thread_id: 'tr-1' }, `00-${traceId}-${clientSpan}-01`);
    const runId = (data[0] as { run_id: string }).run_id;
    await until(() => inTrace(traceId).some((s) => s.name.startsWith('POST')), 'the request span');
    const spans = inTrace(traceId);

    const request = one(spans, (s) => s.name === 'POST /chat/stream', 'request span');
    expect(request).toMatchObject({ kind: 2, parentSpanId: clientSpan, service: 'riser-e2e' });
    expect(request.attributes).toMatchObject({ 'http.route': '/chat/stream', 'http.response.status_code': 200 });

    const run = one(spans, (s) => s.name === 'run agent', 'run span');
    expect(run.parentSpanId).toBe(request.spanId);
    expect(run.attributes).toMatchObject({ 'riser.run_id': runId, 'riser.thread_id': 'tr-1', 'riser.assistant_id': 'agent', 'riser.protocol': 'simple', 'riser.run.status': 'success' });

    const node = one(spans, (s) => s.name === 'node agent', 'node span');
    expect(node.parentSpanId).toBe(run.spanId);
    const model = one(spans, (s) => s.name.startsWith('model '), 'model span');
    expect(model.parentSpanId).toBe(node.spanId);
    expect(model.attributes['riser.tokens_streamed']).toBeGreaterThan(1);
    expect(model.attributes['riser.time_to_first_token_ms']).toEqual(expect.any(Number));
    // Postgres queries made for the request and the run (admission, checkpoints) are spans of it.
    const queries = spans.filter((s) => s.name === 'pg.query');
    expect(queries.length).toBeGreaterThan(2);
    for (const q of queries) expect(q.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.query.text': expect.any(String) });
    const runIds = new Set([run.spanId, node.spanId, model.spanId]);
    expect(queries.some((q) => q.parentSpanId === request.spanId)).toBe(true);
    expect(queries.some((q) => runIds.has(q.parentSpanId!))).toBe(true);
    // Nothing of this request left the trace.
    expect(receiver.spans.filter((s) => s.attributes['riser.run_id'] === runId).every((s) => s.traceId === traceId)).toBe(true);

    // Its log lines name the trace.
    const lines = riser.output().split('\n').filter((l) => l.includes(runId)).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'run ended')).toMatchObject({ trace_id: traceId });
  });

  it('a run a decision resumes is a child of the deciding request and links to the run that asked', async () => {
    const askTrace = hex(16);
    const asked = await chat({ message: 'please refund order A-9 $40', thread_id: 'tr-2' }, `00-${askTrace}-${hex(8)}-01`);
    const interruptId = (asked.find((d: any) => d?.interrupt) as any).interrupts[0].id;
    const decideTrace = hex(16);
    const resumed = await chat({ thread_id: 'tr-2', resume: { interrupt_id: interruptId, decision: 'approve' } }, `00-${decideTrace}-${hex(8)}-01`);
    expect(resumed.at(-1)).toBe('[DONE]');
    await until(() => inTrace(decideTrace).some((s) => s.name === 'POST /chat/stream') && inTrace(askTrace).some((s) => s.name === 'POST /chat/stream'), 'both requests');

    const askRun = one(inTrace(askTrace), (s) => s.name === 'run agent', 'asking run');
    expect(askRun.attributes['riser.run.status']).toBe('interrupted');
    const askRequest = one(inTrace(askTrace), (s) => s.name === 'POST /chat/stream', 'asking request');
    const resumeRun = one(inTrace(decideTrace), (s) => s.name === 'run agent', 'resuming run');
    expect(resumeRun.attributes).toMatchObject({ 'riser.protocol': 'approval', 'riser.run.status': 'success' });
    expect(resumeRun.parentSpanId).toBe(one(inTrace(decideTrace), (s) => s.name === 'POST /chat/stream', 'deciding request').spanId);
    expect(resumeRun.links).toEqual([expect.objectContaining({ traceId: askTrace, spanId: askRequest.spanId })]);
    // The tool the decision lets run is a span of the resuming run's trace.
    expect(inTrace(decideTrace).some((s) => s.name === 'tool issue_refund')).toBe(true);
  });

  it('a run that waits in the queue continues the trace of the request that admitted it (its context is stored with the run)', async () => {
    const traceId = hex(16);
    const headers = { ...bearer(token), 'content-type': 'application/json', traceparent: `00-${traceId}-${hex(8)}-01` };
    const created = await fetch(`${riser.url}/threads/tr-3/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'later' }] }, after_seconds: 1, if_not_exists: 'create' }),
    });
    expect(created.status).toBe(200);
    const { run_id: runId, status } = (await created.json()) as { run_id: string; status: string };
    expect(status).toBe('pending');
    const joined = await fetch(`${riser.url}/threads/tr-3/runs/${runId}/join`, { headers: bearer(token) });
    expect(joined.status).toBe(200);
    await until(() => receiver.spans.some((s) => s.attributes['riser.run_id'] === runId), 'the delayed run span');
    const run = one(receiver.spans, (s) => s.attributes['riser.run_id'] === runId, 'run span');
    const admitting = one(inTrace(traceId), (s) => s.name === 'POST /threads/:thread_id/runs', 'admitting request');
    expect(run).toMatchObject({ traceId, parentSpanId: admitting.spanId });
    expect(run.attributes['riser.run.status']).toBe('success');
  });

  it('a socket event is a span, and the run it starts is its child', async () => {
    const socket = await connectChat(riser.url, token);
    try {
      let runId: string | undefined;
      const messages = runMessages(socket, () => runId);
      const ack = await request(socket, 'chat', { message: 'over the socket', thread_id: 'tr-4' });
      runId = ack.run_id;
      await messages;
      await until(() => receiver.spans.some((s) => s.attributes['riser.run_id'] === runId) && receiver.spans.some((s) => s.name === 'socket chat'), 'the socket spans');
      const run = one(receiver.spans, (s) => s.attributes['riser.run_id'] === runId, 'run span');
      const event = one(receiver.spans, (s) => s.name === 'socket chat', 'socket event span');
      expect(event.kind).toBe(2);
      expect(run).toMatchObject({ traceId: event.traceId, parentSpanId: event.spanId });
      expect(run.attributes['riser.protocol']).toBe('socket');
    } finally {
      socket.close();
    }
  });
});
