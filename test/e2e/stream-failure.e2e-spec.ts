import { Client } from '@langchain/langgraph-sdk';
import { Observable } from 'rxjs';
import { bearer, frameData, openSse, type SseFrame } from '@riser/testing';
import { RunService, type WatchableRun } from '@riser/run-core';
import { startRiserWithApp } from '../support/riser.js';

type Part = { id?: string; event: string; data: any };
const HEARTBEAT = '{"heartbeat":true}';

/**
 * A stream that fails after it began (the framing operator's error branch), and the
 * heartbeat, each framed by its own protocol over the wire. The failure is injected below
 * the subscription: the run a route locates hands out a subscription that errors after a
 * few frames, as a bug in a mapping or the event log would.
 */
describe('each protocol frames its own failures and heartbeats', () => {
  let riser: Awaited<ReturnType<typeof startRiserWithApp>>;
  let token: string;
  let failAfter: number | undefined;

  beforeAll(async () => {
    // Tokens 300 ms apart with a 100 ms heartbeat: every gap between tokens holds heartbeats.
    riser = await startRiserWithApp({ env: { DEMO_TOKEN_DELAY_MS: '300', SSE_HEARTBEAT_MS: '100', SSE_HEARTBEAT_STYLE: 'data' } });
    token = riser.token('alice', { tenant: 'acme' });
    const runs = riser.app.get(RunService);
    const locate = runs.locate.bind(runs);
    runs.locate = (async (...args: Parameters<RunService['locate']>) => {
      const run = await locate(...args);
      return failAfter === undefined ? run : failingAfter(run, failAfter);
    }) as RunService['locate'];
  });
  afterEach(() => (failAfter = undefined));
  afterAll(() => riser.destroy());

  /** Starts a run on the simple protocol and leaves it running (its stream closed after the first frame). */
  async function startedRun(threadId: string): Promise<string> {
    const stream = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'hi', thread_id: threadId } });
    const frames = await stream.collect((f) => f.data !== undefined);
    return (frameData(frames)[0] as { run_id: string }).run_id;
  }

  it('simple protocol: {error: "internal"} then [DONE], no Platform event', async () => {
    const runId = await startedRun('fail-simple');
    failAfter = 3;
    const frames = await (await openSse(`${riser.url}/chat/stream?thread_id=fail-simple&run_id=${runId}`, { headers: bearer(token) })).collect();
    const data = frames.filter((f) => f.data !== undefined && f.data !== HEARTBEAT);
    expect(data).toHaveLength(5);
    expect(frameData(data.slice(3))).toEqual([{ error: 'internal', message: 'the stream failed' }, '[DONE]']);
    // Both carry the last real frame's id: a client's Last-Event-ID does not move.
    expect(data.slice(3).map((f) => f.id)).toEqual([data[2].id, data[2].id]);
    expect(frames.some((f) => f.event !== undefined)).toBe(false);
  });

  it('Platform API, read with the official SDK: an `error` event ends it, no [DONE] and no `message` event', async () => {
    const runId = await startedRun('fail-platform');
    failAfter = 3;
    const client = new Client({ apiUrl: riser.url, apiKey: null, defaultHeaders: bearer(token) });
    const parts: Part[] = [];
    for await (const part of client.runs.joinStream('fail-platform', runId, { lastEventId: '-1', streamMode: ['values', 'messages-tuple'] }) as AsyncIterable<Part>) {
      parts.push(part);
    }
    expect(parts.length).toBe(4);
    expect(parts[parts.length - 1]).toMatchObject({ event: 'error', data: { error: 'internal', message: 'the stream failed' } });
    expect(parts.filter((p) => p.event === 'message' || p.data === '[DONE]')).toEqual([]);
  });

  it('heartbeats: the simple protocol’s data style carries the last id; the Platform API’s stay comments', async () => {
    const simple = await openSse(`${riser.url}/chat/stream`, { headers: bearer(token), body: { message: 'a slow answer', thread_id: 'beat-1' } });
    let simpleBeats = 0;
    const simpleFrames = await simple.collect((f) => f.data === HEARTBEAT && ++simpleBeats === 3);
    const beats = simpleFrames.filter((f) => f.data === HEARTBEAT);
    expect(beats).toHaveLength(3);
    const lastRealId = (i: number) => simpleFrames.slice(0, i).filter((f) => f.data !== HEARTBEAT).pop()!.id;
    for (const beat of beats) expect(beat.id).toBe(lastRealId(simpleFrames.indexOf(beat)));

    const platform = await openSse(`${riser.url}/threads/beat-2/runs/stream`, {
      headers: bearer(token),
      body: { assistant_id: 'agent', input: { messages: [{ role: 'user', content: 'a slow answer' }] }, stream_mode: ['messages-tuple'], if_not_exists: 'create' },
    });
    let platformBeats = 0;
    const platformFrames: SseFrame[] = await platform.collect((f) => f.comment === 'heartbeat' && ++platformBeats === 3);
    expect(platformFrames[0]).toMatchObject({ event: 'metadata' });
    expect(platformFrames.filter((f) => f.data !== undefined && f.event === undefined)).toEqual([]);
  });
});

/** The run, except that its subscriptions fail after `frames` frames. */
function failingAfter(run: WatchableRun, frames: number): WatchableRun {
  const failing = Object.create(run) as WatchableRun;
  failing.subscribe = ((options: Parameters<WatchableRun['subscribe']>[0]) =>
    new Observable<unknown>((subscriber) => {
      let sent = 0;
      const inner = run.subscribe<unknown>(options as never).subscribe({
        next: (frame: unknown) => {
          subscriber.next(frame);
          if (++sent === frames) subscriber.error(new Error('injected: the event log failed'));
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => inner.unsubscribe();
    })) as WatchableRun['subscribe'];
  return failing;
}
