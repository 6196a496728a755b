import { RunEventLog } from './event-log.js';
import { firstFrameAfterStep } from './run-scheduler.js';

const token = (text: string, step: number, ns?: string[]) =>
  ({ event: 'message', data: { text, role: 'ai', metadata: { langgraph_step: step, langgraph_node: 'agent' }, complete: false }, ...(ns && { ns }) }) as const;

describe('firstFrameAfterStep (what a resumed attempt says again)', () => {
  const log = new RunEventLog({ maxEvents: 100, maxBytes: 1e9 });
  log.append({ event: 'metadata', data: { run_id: 'r', thread_id: 't', assistant_id: 'agent', attempt: 1 } });
  log.append(token('a', 1)); // 2
  log.append(token('b', 1)); // 3
  log.append({ event: 'stream', data: { mode: 'updates', payload: {} } }); // 4: step 1's update, written after its checkpoint was due
  log.append(token('sub', 3, ['tools:1'])); // 5: a subgraph's own step numbering
  log.append(token('c', 2)); // 6
  log.append(token('d', 2)); // 7

  it('is the first token of a later superstep, whatever was written around the checkpoint', () => {
    expect(firstFrameAfterStep(log, 1)).toBe(6);
    expect(firstFrameAfterStep(log, 0)).toBe(2);
    expect(firstFrameAfterStep(log, -1)).toBe(2);
  });

  it('is the next seq when nothing after the checkpoint was said', () => {
    expect(firstFrameAfterStep(log, 2)).toBe(8);
  });
});
