import { io, type Socket } from 'socket.io-client';

export type { Socket };

/** Connects to Riser's `/chat` namespace with a token, as a browser or Node client does. */
export function connectChat(baseUrl: string, token: string | undefined, options: { transports?: string[] } = {}): Promise<Socket> {
  const socket = io(`${baseUrl}/chat`, {
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits an event and resolves with its ack. */
export function request<T = any>(socket: Socket, event: string, payload?: unknown, timeoutMs = 10_000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/**
 * Collects a socket's `message` events for one run until its `{done: true}`. The run id may
 * only be known later (from an ack that arrives with the first messages): every message is
 * kept from the call on, and filtered once the id is known.
 */
export function runMessages(socket: Socket, runId: () => string | undefined, timeoutMs = 20_000): Promise<Record<string, any>[]> {
  return new Promise((resolve, reject) => {
    const all: Record<string, any>[] = [];
    const check = () => {
      const id = runId();
      if (id === undefined || !all.some((m) => m.run_id === id && m.done)) return;
      stop();
      resolve(all.filter((m) => m.run_id === id));
    };
    const onMessage = (message: Record<string, any>) => {
      all.push(message);
      check();
    };
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`run ${runId()} did not finish within ${timeoutMs} ms (${all.length} messages)`));
    }, timeoutMs);
    const stop = () => {
      clearInterval(poll);
      clearTimeout(timer);
      socket.off('message', onMessage);
    };
    socket.on('message', onMessage);
  });
}

/** Resolves with the next `event` the socket receives that matches. */
export function nextEvent<T = any>(socket: Socket, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(payload);
    };
    socket.on(event, on);
  });
}
