import type { SseFrame, SseResponse } from '@riser/testing';

export interface TimedFrame extends SseFrame {
  /** Date.now() when the frame arrived (SseFrame.at is relative to its own stream). */
  wall: number;
}

/**
 * Reads a stream in steps without closing it between them (a `break` out of for-await
 * would): `until(stop)` reads up to the first data frame for which `stop` holds (or the
 * end), `rest()` to the end. `frames` holds every data frame read so far, timed.
 */
export function reader(stream: SseResponse) {
  const it = stream.frames();
  const frames: TimedFrame[] = [];
  const until = async (stop: (frame: TimedFrame, seen: TimedFrame[]) => boolean) => {
    for (let next = await it.next(); !next.done; next = await it.next()) {
      if (next.value.data === undefined) continue;
      const frame = { ...next.value, wall: Date.now() };
      frames.push(frame);
      if (stop(frame, frames)) break;
    }
    return frames;
  };
  return { frames, until, rest: () => until(() => false) };
}

/** `reader(stream)`, already read up to the first frame for which `stop` holds. */
export async function readUntil(stream: SseResponse, stop: (frame: TimedFrame, seen: TimedFrame[]) => boolean) {
  const r = reader(stream);
  await r.until(stop);
  return r;
}

export const isContent = (frame: SseFrame) => frame.data?.startsWith('{"content"') ?? false;
export const tokensSeen = (n: number) => (_: SseFrame, seen: SseFrame[]) => seen.filter(isContent).length >= n;
export const parsed = (frame: SseFrame) => (frame.data === '[DONE]' ? '[DONE]' : JSON.parse(frame.data!));

/**
 * Reads a simple-protocol stream until `max` data frames or `[DONE]`, appending them to `got`,
 * then closes it (a client cutting its connection at a chosen point). `ended`: it saw `[DONE]`.
 */
export async function readUpTo(stream: SseResponse, got: SseFrame[], max: number): Promise<{ ended: boolean }> {
  let taken = 0;
  let ended = false;
  for await (const frame of stream.frames()) {
    if (frame.data === undefined) continue;
    got.push(frame);
    if (frame.data === '[DONE]') {
      ended = true;
      break;
    }
    if (++taken === max) break;
  }
  stream.close();
  return { ended };
}
