import { AsyncBatchedStore, type Operation } from '@langchain/langgraph-checkpoint';
import { batchStoreOperationsOnDemand } from './store-batching.js';

describe('batchStoreOperationsOnDemand', () => {
  beforeAll(() => expect(batchStoreOperationsOnDemand()).toBe(true));

  function fakeStore(fail = false) {
    const batches: Operation[][] = [];
    const store = {
      batch: async (ops: Operation[]) => {
        batches.push(ops);
        if (fail) throw new Error('store down');
        return ops.map((op) => ('key' in op ? `result:${op.key}` : 'result'));
      },
    };
    return { batches, wrapped: new AsyncBatchedStore(store as never) };
  }

  it('does not wake while a run leaves its store alone', async () => {
    const { batches, wrapped } = fakeStore();
    const timers = jest.spyOn(global, 'setTimeout');
    await wrapped.start();
    await new Promise((r) => setImmediate(r));
    expect(timers).not.toHaveBeenCalled();
    timers.mockRestore();
    await wrapped.stop();
    expect(batches).toEqual([]);
  });

  it('sends what is queued in one turn as one batch, in order, and answers each operation its own result', async () => {
    const { batches, wrapped } = fakeStore();
    await wrapped.start();
    const answers = await Promise.all([wrapped.get(['a'], 'one'), wrapped.put(['a'], 'two', { v: 2 }), wrapped.get(['a'], 'three')]);
    expect(batches).toHaveLength(1);
    expect(batches[0].map((op) => (op as { key: string }).key)).toEqual(['one', 'two', 'three']);
    expect(answers).toEqual(['result:one', 'result:two', 'result:three']);
    // A later turn: a batch of its own.
    await wrapped.get(['a'], 'four');
    expect(batches).toHaveLength(2);
    await wrapped.stop();
  });

  it('rejects every operation of a batch the store refused', async () => {
    const { wrapped } = fakeStore(true);
    await wrapped.start();
    await expect(Promise.all([wrapped.get(['a'], 'x'), wrapped.get(['a'], 'y')])).rejects.toThrow('store down');
    await wrapped.stop();
  });
});
