import { bearer, openSse, type SseFrame, type SseResponse } from '@riser/testing';

export interface Followed {
  threadId: string;
  runId: string;
  /** Every numbered frame, in the order received over all connections (rejoin frames apart). */
  frames: SseFrame[];
  /**
   * The `{"error":"rejoin"}` frames that told the client to reconnect, each with the id of the
   * frame before it and whatever still came on that connection after it (nothing, if exact).
   */
  rejoins: { frame: SseFrame; previousId: string | undefined; after: SseFrame[] }[];
  /** Connections the client opened after the first. */
  reconnects: number;
  /** The reply as a client shows it: content frames, minus those a retry frame discards. */
  text: string;
  /** Date.now() when each retry frame arrived. */
  retryAt: number[];
}

/**
 * A simple-protocol client as the issue describes one: it reads a run's stream and, whenever
 * the stream ends without `[DONE]` (a `rejoin` frame, a dropped connection, a dead replica),
 * reconnects to `baseUrl` with the last id it saw, until `[DONE]`. Frames a retry frame
 * discards are dropped from its text.
 */
export async function followRun(
  baseUrl: string,
  token: string,
  first: SseResponse,
  options: { deadlineMs?: number; onFrame?: (frame: SseFrame, so: Followed) => void } = {},
): Promise<Followed> {
  const { deadlineMs = 60_000, onFrame = () => undefined } = options;
  const started = Date.now();
  const out: Followed = { threadId: '', runId: '', frames: [], rejoins: [], reconnects: 0, text: '', retryAt: [] };
  let stream: SseResponse | undefined = first;
  for (;;) {
    if (stream) {
      if (await readUntilEnd(stream, out, onFrame)) break;
      stream.close();
    }
    if (Date.now() - started > deadlineMs) throw new Error(`run ${out.runId} did not end within ${deadlineMs} ms; frames: ${JSON.stringify(out.frames.map((f) => f.data))}`);
    const last = out.frames[out.frames.length - 1]?.id;
    stream = await openSse(`${baseUrl}/chat/stream?thread_id=${out.threadId}&run_id=${out.runId}`, {
      headers: { ...bearer(token), ...(last && { 'last-event-id': last }) },
    }).catch(() => undefined);
    out.reconnects++;
    if (stream?.status !== 200) {
      // nginx answers 502 while it learns a replica is gone: a browser would retry too.
      stream = undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  out.text = keptText(out.frames);
  return out;
}

/** Reads one connection; true once `[DONE]` arrived. */
async function readUntilEnd(stream: SseResponse, out: Followed, onFrame: (frame: SseFrame, so: Followed) => void): Promise<boolean> {
  let told: Followed['rejoins'][number] | undefined;
  try {
    for await (const frame of stream.frames()) {
      if (frame.data === undefined) continue;
      // Told to rejoin: read on to the close, to see that nothing follows the rejoin frame.
      if (told) {
        told.after.push(frame);
        continue;
      }
      if (frame.data === '[DONE]') {
        out.frames.push(frame);
        onFrame(frame, out);
        return true;
      }
      const data = JSON.parse(frame.data);
      if (data.error === 'rejoin') {
        told = { frame, previousId: out.frames[out.frames.length - 1]?.id, after: [] };
        out.rejoins.push(told);
        continue;
      }
      if (data.run_id && !out.runId) {
        out.runId = data.run_id;
        out.threadId = data.thread_id;
      }
      if (data.retry) out.retryAt.push(Date.now());
      out.frames.push(frame);
      onFrame(frame, out);
    }
  } catch {
    // The replica died under the connection: rejoin.
  }
  return false;
}

/** The reply a client shows: content in seq order, minus what each retry frame discards. */
export function keptText(frames: SseFrame[]): string {
  const kept = new Map<number, string>();
  for (const frame of frames) {
    if (frame.data === undefined || frame.data === '[DONE]') continue;
    const data = JSON.parse(frame.data);
    if (data.retry) {
      for (const seq of [...kept.keys()]) if (seq >= data.retry.discard_from) kept.delete(seq);
    } else if (typeof data.content === 'string') {
      kept.set(Number(frame.id), data.content);
    }
  }
  return [...kept.values()].join('');
}

/** Ids of the numbered frames: 1, 2, 3… with no gap and no duplicate when delivery is exact. */
export const ids = (frames: SseFrame[]) => frames.map((f) => Number(f.id));
export const consecutive = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
