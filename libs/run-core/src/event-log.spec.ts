import { firstValueFrom, toArray } from 'rxjs';
import { RunEventLog } from './event-log.js';
import type { RunEvent } from './run-event.js';
import { subscribeToLog, type FlowControl } from './run-subscription.js';

const token = (text: string) =>
  ({ event: 'message', data: { text, role: 'ai', message: { type: 'AIMessageChunk', content: text }, metadata: {}, complete: false } }) as const;
const end = { event: 'end', data: { status: 'success' } } as const;

describe('RunEventLog', () => {
  it('numbers events from 1 and reads after a cursor', () => {
    const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
    for (const t of ['a', 'b', 'c']) log.append(token(t));
    expect(log.firstSeq).toBe(1);
    expect(log.lastSeq).toBe(3);
    expect(log.readAfter(1, 10)!.map((e) => e.seq)).toEqual([2, 3]);
    expect(log.readAfter(3, 10)).toEqual([]);
  });

  it('drops the oldest events past the count cap, and reports a cursor that fell off', () => {
    const log = new RunEventLog({ maxEvents: 5, maxBytes: 1e9 });
    for (let i = 0; i < 20; i++) log.append(token(`t${i}`));
    expect(log.size).toBe(5);
    expect(log.firstSeq).toBe(16);
    expect(log.readAfter(14, 10)).toBeNull();
    expect(log.readAfter(15, 10)!.map((e) => e.seq)).toEqual([16, 17, 18, 19, 20]);
  });

  it('drops past the byte cap, but always keeps the newest event', () => {
    const log = new RunEventLog({ maxEvents: 1000, maxBytes: 1000 });
    for (let i = 0; i < 50; i++) log.append(token('x'.repeat(100)));
    expect(log.size).toBeLessThan(5);
    log.append(token('y'.repeat(5000)));
    expect(log.size).toBe(1);
    expect(log.readAfter(50, 1)![0].seq).toBe(51);
  });

  it('stays bounded and consistent over a long run (compaction)', () => {
    const log = new RunEventLog({ maxEvents: 1000, maxBytes: 1e9 });
    for (let i = 1; i <= 100_000; i++) log.append(token(String(i)));
    expect(log.size).toBe(1000);
    expect(log.firstSeq).toBe(99_001);
    const tail = log.readAfter(99_500, 3)!;
    expect(tail.map((e) => [e.seq, (e as Extract<RunEvent, { event: 'message' }>).data.text])).toEqual([
      [99_501, '99501'],
      [99_502, '99502'],
      [99_503, '99503'],
    ]);
    expect(log.bytesAfter(99_999)).toBeGreaterThan(0);
    expect(log.bytesAfter(100_000)).toBe(0);
  });
});

describe('subscribeToLog', () => {
  it('replays after the cursor, then follows live, then completes after end', async () => {
    const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
    log.append(token('a'));
    log.append(token('b'));
    const all = firstValueFrom(subscribeToLog(log, { afterSeq: 1 }).pipe(toArray()));
    log.append(token('c'));
    log.append(end);
    expect((await all).map((e) => e.seq)).toEqual([2, 3, 4]);
  });

  it('completes at once for a cursor at the end of a finished run', async () => {
    const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
    log.append(token('a'));
    log.append(end);
    expect(await firstValueFrom(subscribeToLog(log, { afterSeq: 2 }).pipe(toArray()))).toEqual([]);
  });

  it('gives a cursor older than the log one replay_gap, then continues from the oldest kept', async () => {
    const log = new RunEventLog({ maxEvents: 3, maxBytes: 1e9 });
    for (const t of ['a', 'b', 'c', 'd', 'e']) log.append(token(t));
    log.append(end);
    const events = await firstValueFrom(subscribeToLog(log, { afterSeq: 1 }).pipe(toArray()));
    expect(events[0]).toMatchObject({ event: 'error', synthetic: true, seq: 1, data: { code: 'replay_gap' } });
    expect(events.slice(1).map((e) => e.seq)).toEqual([4, 5, 6]);
  });

  it('feeds a blocked subscriber at its own pace, without duplicates or gaps', () => {
    const log = new RunEventLog({ maxEvents: 1000, maxBytes: 1e9 });
    let blocked = false;
    let resume: (() => void) | undefined;
    const flow: FlowControl = {
      isBlocked: () => blocked,
      onceUnblocked: (fn) => ((resume = fn), () => (resume = undefined)),
    };
    const seen: number[] = [];
    subscribeToLog(log, { flow }).subscribe((e) => {
      seen.push(e.seq);
      if (seen.length % 3 === 0) blocked = true;
    });
    for (let i = 0; i < 10; i++) log.append(token(String(i)));
    expect(seen).toEqual([1, 2, 3]);
    while (resume && seen.length < 10) {
      blocked = false;
      const r = resume;
      resume = undefined;
      r();
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('ends a subscriber that falls too far behind with slow_consumer; the run is not affected', () => {
    const log = new RunEventLog({ maxEvents: 10_000, maxBytes: 1e9 });
    const flow: FlowControl = { isBlocked: () => true, onceUnblocked: () => () => undefined };
    const seen: RunEvent[] = [];
    let completed = false;
    subscribeToLog(log, { flow, maxLagEvents: 50 }).subscribe({ next: (e) => seen.push(e), complete: () => (completed = true) });
    for (let i = 0; i < 1000; i++) log.append(token(String(i)));
    expect(completed).toBe(true);
    expect(seen).toEqual([expect.objectContaining({ event: 'error', synthetic: true, seq: 0, data: expect.objectContaining({ code: 'slow_consumer' }) })]);
    expect(log.lastSeq).toBe(1000);
  });

  it('lets a rejoin replay a stored backlog at its reader\'s pace, and counts lag only from what the run adds after', async () => {
    const log = new RunEventLog({ maxEvents: 10_000, maxBytes: 1e9 });
    for (let i = 0; i < 1000; i++) log.append(token(String(i)));
    let blocked = false;
    let resume: (() => void) | undefined;
    const flow: FlowControl = { isBlocked: () => blocked, onceUnblocked: (fn) => ((resume = fn), () => undefined) };
    const seen: RunEvent[] = [];
    // A rejoin from seq 10: 990 events behind at once, far past the cap of 50.
    subscribeToLog(log, { afterSeq: 10, flow, maxLagEvents: 50 }).subscribe((e) => {
      seen.push(e);
      if (seen.length % 100 === 0) blocked = true;
    });
    for (let turns = 0; seen.length < 990 && turns < 100; turns++) {
      if (resume) {
        blocked = false;
        const r = resume;
        resume = undefined;
        r();
      } else await new Promise((r) => setImmediate(r)); // the pump's own slices
    }
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 990 }, (_, i) => i + 11));
    // Now caught up; blocked while the run adds 51 more: that is falling behind.
    blocked = true;
    for (let i = 0; i < 51; i++) log.append(token(`more ${i}`));
    expect(seen[seen.length - 1]).toEqual(expect.objectContaining({ synthetic: true, data: expect.objectContaining({ code: 'slow_consumer' }) }));
  });

  it('replays a long log a slice per event-loop turn, so the transport can push back between slices', async () => {
    const log = new RunEventLog({ maxEvents: 10_000, maxBytes: 1e9 });
    for (let i = 0; i < 2000; i++) log.append(token(String(i)));
    log.append(end);
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => subscribeToLog(log).subscribe({ next: (e) => seen.push(e.seq), complete: resolve }));
    const firstTurn = seen.length;
    expect(firstTurn).toBeGreaterThan(0);
    expect(firstTurn).toBeLessThanOrEqual(256);
    await done;
    expect(seen).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
  });

  it('does not re-deliver when a subscriber appends from inside next()', () => {
    const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
    const seen: number[] = [];
    subscribeToLog(log).subscribe((e) => {
      seen.push(e.seq);
      if (e.seq === 1) log.append(token('nested'));
    });
    log.append(token('first'));
    log.append(token('second'));
    expect(seen).toEqual([1, 2, 3]);
  });

  describe('held until stored (replicas)', () => {
    it('readers get only what is stored; the rest is dropped when the run is handed on', async () => {
      const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
      log.append(token('a'));
      log.holdUntilStored();
      for (const t of ['b', 'c', 'd']) log.append(token(t));
      const seen: number[] = [];
      const sub = subscribeToLog(log).subscribe((e) => seen.push(e.seq));
      expect(seen).toEqual([1]);
      log.markStored(3);
      expect(seen).toEqual([1, 2, 3]);
      log.discardUnstored();
      expect(log.lastSeq).toBe(3);
      // Another process's event 4 takes the place of the dropped one.
      log.accept({ seq: 4, event: 'message', data: { text: 'D', role: 'ai', metadata: {}, complete: false } });
      log.accept({ ...end, seq: 5 });
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(log.readAfter(3, 1)![0]).toMatchObject({ data: { text: 'D' } });
      sub.unsubscribe();
    });

    it('a mirror that misses events starts again at the next one: readers behind get replay_gap', async () => {
      const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
      log.accept({ ...token("a"), seq: 1 });
      log.accept({ ...token("g"), seq: 7 });
      log.accept({ ...end, seq: 8 });
      const events = await firstValueFrom(subscribeToLog(log).pipe(toArray()));
      expect(events.map((e) => [e.seq, e.event === 'error' ? e.data.code : e.event])).toEqual([
        [0, 'replay_gap'],
        [7, 'message'],
        [8, 'end'],
      ]);
    });
  });
});
