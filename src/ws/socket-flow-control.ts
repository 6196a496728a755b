import type { Socket } from 'socket.io';
import type { FlowControl } from '@riser/run-core';
import type { MessageSink } from './socket-subscriptions.js';

/** Packets engine.io may hold for a client before the run core stops feeding it. */
const MAX_BUFFERED_PACKETS = 1000;

/** Flow control from a Socket.IO connection: blocked while engine.io's write buffer is full. */
export function socketIoFlowControl(socket: Socket): FlowControl {
  const conn = socket.conn as unknown as { writeBuffer: unknown[]; once(e: 'drain', fn: () => void): void; off(e: 'drain', fn: () => void): void };
  return {
    isBlocked: () => conn.writeBuffer.length >= MAX_BUFFERED_PACKETS,
    onceUnblocked: (fn) => {
      conn.once('drain', fn);
      return () => conn.off('drain', fn);
    },
  };
}

/** A Socket.IO socket as a sink of run messages: `message` events. */
export function socketIoSink(socket: Socket): MessageSink {
  return { id: socket.id, protocol: 'socket', flow: socketIoFlowControl(socket), send: (payload) => socket.emit('message', payload) };
}
