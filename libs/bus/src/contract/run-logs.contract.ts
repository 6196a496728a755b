import { firstValueFrom, toArray } from 'rxjs';
import { subscribeToLog, type RunEvent, type RunEventInput, type RunEventLog, type RunLogs } from '@riser/run-core';

/** Two replicas' views of one store (the same instance when the store is one process's). */
export interface RunLogsPair {
  a: RunLogs;
  b: RunLogs;
  /** Event log caps and retention the pair was made with. */
  limits: { maxEvents: number; ttlMs: number };
  close(): Promise<void>;
}

const token = (text: string): RunEventInput => ({ event: 'message', data: { text, role: 'ai', metadata: {}, complete: false } });
const end: RunEventInput = { event: 'end', data: { status: 'success' } };
const metadata = (runId: string): RunEventInput => ({ event: 'metadata', data: { run_id: runId, thread_id: 't', assistant_id: 'agent', attempt: 1 } });
const texts = (events: RunEvent[]) => events.map((e) => (e.event === 'message' ? e.data.text : e.event === 'error' ? `!${e.data.code}` : e.event));
const readAll = (log: RunEventLog, afterSeq = 0) => firstValueFrom(subscribeToLog(log, { afterSeq }).pipe(toArray()));
const waitFor = async (check: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};
let counter = 0;
const newRunId = () => `00000000-0000-4000-8000-${String(Date.now() % 1e6).padStart(6, '0')}${String(++counter).padStart(6, '0')}`;

/**
 * What every RunLogs implementation must do, in-process and Redis alike: numbering, replay
 * after a cursor then live then end, reading on another replica, detached appends, caps,
 * retention, continuing after an earlier attempt, and ending readers with a code.
 */
export function runLogsContract(name: string, options: { fences: boolean }, make: () => Promise<RunLogsPair>): void {
  describe(`RunLogs contract: ${name}`, () => {
    let pair: RunLogsPair;
    beforeAll(async () => {
      pair = await make();
    });
    afterAll(() => pair?.close());

    it('numbers a run from 1; a reader on another replica gets what was written, then live, then the end', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      log.append(metadata(runId));
      for (const t of ['a', 'b']) log.append(token(t));
      await waitFor(() => log.readableSeq === 3);
      const reader = (await pair.b.acquire(runId, true))!;
      const read = readAll(reader, 1);
      for (const t of ['c', 'd']) log.append(token(t));
      log.append(end);
      await pair.a.close(runId, 'ended');
      const events = await read;
      pair.b.release(runId);
      expect(events.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(texts(events)).toEqual(['a', 'b', 'c', 'd', 'end']);
    });

    it('a reader that subscribes while the writer writes gets every event once, in order', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      log.append(metadata(runId));
      // Fewer than the cap (so no replay_gap), written a few per turn while the reader joins.
      const count = pair.limits.maxEvents - 10;
      let i = 0;
      const writing = (async () => {
        while (i < count) {
          log.append(token(String(i++)));
          if (i % 3 === 0) await new Promise((r) => setImmediate(r));
        }
        log.append(end);
        await pair.a.close(runId, 'ended');
      })();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const reader = (await pair.b.acquire(runId, true))!;
      const events = await readAll(reader);
      await writing;
      pair.b.release(runId);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: count + 2 }, (_, k) => k + 1));
    });

    it('answers undefined for a run with no events unless it is active', async () => {
      const runId = newRunId();
      expect(await pair.b.acquire(runId, false)).toBeUndefined();
      const waiting = (await pair.b.acquire(runId, true))!;
      expect(waiting.lastSeq).toBe(0);
      pair.b.release(runId);
    });

    it('appends detached events after the last one, and they end the run for readers anywhere', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      log.append(metadata(runId));
      await pair.a.close(runId, 'handed_on');
      const reader = (await pair.b.acquire(runId, true))!;
      const read = readAll(reader);
      await pair.a.appendDetached(runId, [{ event: 'error', data: { code: 'cancelled', message: 'stopped' } }, end]);
      const events = await read;
      pair.b.release(runId);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(texts(events)).toEqual(['metadata', '!cancelled', 'end']);
    });

    it('a later attempt continues the numbering after what earlier attempts stored', async () => {
      const runId = newRunId();
      const first = await pair.a.open(runId, 1, { fresh: true });
      first.append(metadata(runId));
      for (const t of ['a', 'b']) first.append(token(t));
      await pair.a.close(runId, 'handed_on');
      const second = await pair.b.open(runId, 2);
      expect(second.lastSeq).toBe(3);
      second.append({ event: 'retry', data: { attempt: 2, discard_from: 2 } });
      second.append(token('a'));
      second.append(end);
      await pair.b.close(runId, 'ended');
      const reader = (await pair.a.acquire(runId, false))!;
      const events = await readAll(reader);
      pair.a.release(runId);
      expect(texts(events)).toEqual(['metadata', 'a', 'b', 'retry', 'a', 'end']);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('keeps at most RUN_LOG_MAX_EVENTS: a reader from the start gets replay_gap, then what is kept', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      for (let k = 0; k < pair.limits.maxEvents + 20; k++) log.append(token(String(k)));
      log.append(end);
      await pair.a.close(runId, 'ended');
      const reader = (await pair.b.acquire(runId, false))!;
      const events = await readAll(reader);
      pair.b.release(runId);
      expect(texts(events)[0]).toBe('!replay_gap');
      expect(events.length).toBeLessThanOrEqual(pair.limits.maxEvents + 1);
      expect(events[events.length - 1].event).toBe('end');
    });

    it('forgets a finished run RUN_LOG_TTL_MS after its end', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      log.append(metadata(runId));
      log.append(end);
      await pair.a.close(runId, 'ended');
      expect(await pair.b.acquire(runId, false)).toBeDefined();
      pair.b.release(runId);
      await new Promise((r) => setTimeout(r, pair.limits.ttlMs + 300));
      await waitFor(() => true);
      // The other replica's mirror lingers a moment after its last reader: ask the store itself.
      expect(await pair.a.acquire(runId, false)).toBeUndefined();
    });

    it('ends its readers with a code once they have read what is kept', async () => {
      const runId = newRunId();
      const log = await pair.a.open(runId, 1, { fresh: true });
      log.append(metadata(runId));
      log.append(token('a'));
      await waitFor(() => log.readableSeq === 2);
      const reader = (await pair.a.acquire(runId, true))!;
      const read = readAll(reader);
      pair.a.stopReaders('rejoin', 'going away');
      const events = await read;
      pair.a.release(runId);
      expect(texts(events)).toEqual(['metadata', 'a', '!rejoin']);
      expect(events[2].seq).toBe(2);
      await pair.a.close(runId, 'handed_on');
    });

    // Only where several processes write: in one process no second attempt can exist.
    if (!options.fences) return;
    it('fences an earlier attempt: what it writes after a later attempt took the run is not kept, and it is told', async () => {
      const runId = newRunId();
      let fenced = false;
      const first = await pair.a.open(runId, 1, { fresh: true, onFenced: () => (fenced = true) });
      first.append(metadata(runId));
      await waitFor(() => first.readableSeq === 1);
      const second = await pair.b.open(runId, 2);
      first.append(token('stale'));
      await waitFor(() => fenced);
      second.append(token('fresh'));
      second.append(end);
      await pair.b.close(runId, 'ended');
      await pair.a.close(runId, 'handed_on');
      const events = await readAll((await pair.b.acquire(runId, false))!);
      pair.b.release(runId);
      expect(texts(events)).toEqual(['metadata', 'fresh', 'end']);
    });
  });
}
