import type { Socket } from 'node:net';
import type { FlowControl } from '@riser/run-core';

/**
 * Flow control from a connection's socket: blocked while Node holds more than its high
 * water mark for the client, unblocked on `drain`. This is how a slow reader is fed at its
 * own pace without the run waiting for it or memory growing for it.
 *
 * `corked`: true while a write-coalescing cork is open for this event-loop turn. What is
 * held then is this turn's frames, not the client's backlog: the socket counts as blocked
 * only if the kernel still refuses data once they are flushed (at most a turn's slice of
 * frames is held beyond it). Without this, a rejoin replaying a long log would look blocked
 * after its first slice, and be cut as too far behind.
 */
export function socketFlowControl(socket: Socket, corked: () => boolean = () => false): FlowControl {
  return {
    isBlocked: () => socket.destroyed || (socket.writableNeedDrain && !corked()),
    onceUnblocked: (fn) => {
      socket.once('drain', fn);
      return () => socket.off('drain', fn);
    },
    bufferedBytes: () => socket.writableLength,
  };
}
