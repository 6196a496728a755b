// The simple protocol's streams, read with fetch (so the token goes in a header, never in
// the URL as EventSource would need): `id: <seq>` + `data: <json>` frames, comments as
// heartbeats, `[DONE]` last. A dropped connection rejoins with `Last-Event-ID`, so no frame
// is lost or repeated.

import { ApiError } from './api.js';

const RETRY_MS = [250, 500, 1000, 2000, 4000];

/**
 * Follows one run to its end. `start` is the POST that opens it (or undefined to rejoin an
 * existing run), `rejoin` the thread/run to come back to; `onFrame(data, seq)` gets each
 * frame; `lastSeq` is where a rejoin starts. Resolves when `[DONE]` arrives or the stream
 * ends for good; rejects with ApiError when Riser refuses it before it began.
 */
export async function followRun({ api, start, rejoin, lastSeq = 0, onFrame, signal }) {
  let target = rejoin ? { ...rejoin } : undefined;
  let seq = lastSeq;
  let attempt = 0;
  for (;;) {
    let response;
    try {
      if (!target) {
        response = await fetch('/chat/stream', {
          method: 'POST',
          signal,
          headers: api.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
          body: JSON.stringify(start),
        });
      } else {
        const query = new URLSearchParams({ thread_id: target.thread_id, ...(target.run_id && { run_id: target.run_id }) });
        response = await fetch(`/chat/stream?${query}`, {
          signal,
          headers: api.headers({ accept: 'text/event-stream', ...(seq > 0 && { 'last-event-id': String(seq) }) }),
        });
      }
      // Nothing after our cursor: the run ended and we saw all of it.
      if (response.status === 204) return { done: true, seq };
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      attempt = 0;
      const ended = await readFrames(response.body, (id, data) => {
        if (id !== undefined) seq = id;
        if (data.thread_id && data.run_id && !target) target = { thread_id: data.thread_id, run_id: data.run_id };
        onFrame(data, seq);
      });
      if (ended) return { done: true, seq };
    } catch (err) {
      if (signal?.aborted) throw err;
      // Refused before it began: nothing to rejoin.
      if (err instanceof ApiError && (!target || err.status !== 503)) throw err;
      if (!target) throw err;
    }
    // Cut off (network, proxy, a replica shutting down): come back after the last frame.
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
  }
}

/** Reads SSE frames until `[DONE]` (true) or the body ends (false). `data` is JSON. */
async function readFrames(body, onFrame) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id;
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) id = Number(line.slice(3).trim());
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
      }
      if (!data) continue; // a heartbeat comment
      if (data === '[DONE]') {
        await reader.cancel().catch(() => undefined);
        return true;
      }
      onFrame(id, JSON.parse(data));
    }
  }
}
