import { Logger } from '@nestjs/common';
import { AsyncBatchedStore, type Operation } from '@langchain/langgraph-checkpoint';

interface Queued {
  operation: Operation;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** The fields of LangGraph's AsyncBatchedStore this module works with (checked at start). */
interface BatchedStore {
  store: { batch(operations: Operation[]): Promise<unknown[]> };
  queue: Map<number, Queued>;
  nextKey: number;
  running: boolean;
  processingTask: Promise<void> | null;
  riserScheduled?: boolean;
}

/**
 * LangGraph wraps the store of every run in an AsyncBatchedStore whose loop wakes each
 * millisecond (`setTimeout(0)`) for as long as the run lasts, whether or not a node ever
 * touches the store. Riser hands every run its tenant's store (so `getStore()` works in any
 * graph), and with 100 runs in flight that loop was ~100,000 timer turns a second: ~4 % of
 * Riser's CPU in the bench, and more than all of its own token path.
 *
 * This makes the wrapper wake only when an operation is queued: the operations queued within
 * one turn still go to the store as one `batch` call, batches in the order they were queued,
 * and `stop()` still waits for the batch in flight. Applied once, at module load; if a
 * LangGraph release changes the class's shape, LangGraph's own loop is kept (and a warning
 * says so). Tested by the store suites (a graph reading and writing its store).
 */
export function batchStoreOperationsOnDemand(): boolean {
  const proto = AsyncBatchedStore.prototype as unknown as Record<string, unknown>;
  if (proto.riserOnDemand) return true;
  const probe = new AsyncBatchedStore({ batch: async () => [] } as never) as unknown as Partial<BatchedStore>;
  if (!(probe.queue instanceof Map) || typeof probe.nextKey !== 'number' || typeof proto.enqueueOperation !== 'function' || typeof proto.processBatchQueue !== 'function') {
    new Logger('RunCore').warn("LangGraph's AsyncBatchedStore changed shape: its per-run polling loop is kept");
    return false;
  }
  proto.start = function start(this: BatchedStore): void {
    this.running = true;
  };
  proto.stop = async function stop(this: BatchedStore): Promise<void> {
    this.running = false;
    await this.processingTask;
  };
  proto.enqueueOperation = function enqueueOperation(this: BatchedStore, operation: Operation): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.set(this.nextKey++, { operation, resolve, reject });
      if (this.riserScheduled) return;
      this.riserScheduled = true;
      // Next turn, as LangGraph's loop would: what the graph queues meanwhile joins the batch.
      setTimeout(() => {
        this.riserScheduled = false;
        this.processingTask = (this.processingTask ?? Promise.resolve()).then(() => runBatch(this));
      }, 0);
    });
  };
  proto.riserOnDemand = true;
  return true;
}

async function runBatch(store: BatchedStore): Promise<void> {
  if (!store.queue.size) return;
  const batch = [...store.queue.values()];
  store.queue.clear();
  try {
    const results = await store.store.batch(batch.map((queued) => queued.operation));
    batch.forEach((queued, i) => queued.resolve(results[i]));
  } catch (err) {
    for (const queued of batch) queued.reject(err);
  }
}
