import type { Socket } from 'node:net';
import type { FlowControl } from '@riser/run-core';

/**
 * Flow control from a connection's socket: blocked while Node holds more than its high
 * water mark for the client, unblocked on `drain`. This is how a slow reader is fed at its
 * own pace without the run waiting for it or memory growing for it.
 */
export function socketFlowControl(socket: Socket): FlowControl {
  return {
    isBlocked: () => socket.writableNeedDrain || socket.destroyed,
    onceUnblocked: (fn) => {
      socket.once('drain', fn);
      return () => socket.off('drain', fn);
    },
    bufferedBytes: () => socket.writableLength,
  };
}
