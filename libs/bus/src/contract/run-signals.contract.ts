import { firstValueFrom, filter, timeout } from 'rxjs';
import type { RunSignals } from '@riser/run-core';

export interface RunSignalsPair {
  a: RunSignals;
  b: RunSignals;
  close(): Promise<void>;
}

let counter = 0;
const newRunId = () => `run-${Date.now()}-${++counter}`;

/** What every RunSignals implementation must do: stops heard and remembered, notes, presence across replicas. */
export function runSignalsContract(name: string, make: () => Promise<RunSignalsPair>): void {
  describe(`RunSignals contract: ${name}`, () => {
    let pair: RunSignalsPair;
    beforeAll(async () => {
      pair = await make();
    });
    afterAll(() => pair?.close());

    it('a stop sent on one replica is heard on the other, and remembered for an executor that starts later', async () => {
      const runId = newRunId();
      const heard = firstValueFrom(pair.b.stops$.pipe(filter((s) => s.runId === runId), timeout(5000)));
      await pair.a.stop({ runId, reason: 'cancelled' });
      expect(await heard).toEqual({ runId, reason: 'cancelled' });
      expect(await pair.b.stopRequested(runId)).toBe('cancelled');
      expect(await pair.b.stopRequested(newRunId())).toBeUndefined();
    });

    it('the first stop reason is the one remembered', async () => {
      const runId = newRunId();
      await pair.a.stop({ runId, reason: 'interrupted' });
      await pair.b.stop({ runId, reason: 'cancelled' });
      expect(await pair.a.stopRequested(runId)).toBe('interrupted');
    });

    it('notes reach the other replica', async () => {
      const runId = newRunId();
      const heard = firstValueFrom(pair.b.notes$.pipe(filter((n) => n.kind === 'run.admitted' && n.runId === runId), timeout(5000)));
      pair.a.notify({ kind: 'run.admitted', runId, threadId: 't1' });
      expect(await heard).toEqual({ kind: 'run.admitted', runId, threadId: 't1' });
    });

    it('says when the last subscriber on any replica has left', async () => {
      const runId = newRunId();
      pair.a.subscriberJoined(runId);
      pair.a.subscriberJoined(runId);
      pair.b.subscriberJoined(runId);
      await new Promise((r) => setTimeout(r, 50));
      expect(await pair.a.subscriberLeft(runId)).toBe(false);
      expect(await pair.b.subscriberLeft(runId)).toBe(false);
      expect(await pair.a.subscriberLeft(runId)).toBe(true);
    });
  });
}
