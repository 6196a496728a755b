/** One SSE frame as a client sees it. Comment lines (heartbeats) come as `comment`. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: number;
  /** ms since the stream opened, when the frame was parsed. */
  at: number;
}

/**
 * Incremental parser for `text/event-stream` (the WHATWG rules that matter here: fields
 * `id`, `event`, `data`, `retry`; `:` comments; frames end at a blank line; CRLF allowed).
 */
export class SseParser {
  private buffer = '';
  private frame: Partial<SseFrame> = {};
  private readonly dataLines: string[] = [];

  constructor(private readonly started = Date.now()) {}

  push(text: string): SseFrame[] {
    const buffer = this.buffer + text;
    const frames: SseFrame[] = [];
    const lineBreak = /\r\n|\r|\n/g;
    let start = 0;
    let match: RegExpExecArray | null;
    // One pass over the text, however much arrives at once.
    while ((match = lineBreak.exec(buffer))) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      const frame = this.line(buffer.slice(start, match.index));
      if (frame) frames.push(frame);
      start = match.index + match[0].length;
    }
    this.buffer = buffer.slice(start);
    return frames;
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') {
      const hasContent = this.dataLines.length || this.frame.comment !== undefined || this.frame.id !== undefined || this.frame.event;
      if (!hasContent) return undefined;
      const frame: SseFrame = { ...this.frame, at: Date.now() - this.started };
      if (this.dataLines.length) frame.data = this.dataLines.join('\n');
      this.frame = {};
      this.dataLines.length = 0;
      return frame;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === '') this.frame.comment = this.frame.comment === undefined ? value : `${this.frame.comment}\n${value}`;
    else if (field === 'data') this.dataLines.push(value);
    else if (field === 'id') this.frame.id = value;
    else if (field === 'event') this.frame.event = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.frame.retry = Number(value);
    return undefined;
  }
}

export interface SseResponse {
  status: number;
  headers: Headers;
  /** The body as JSON, for a response that is not a stream (an error). */
  json<T = any>(): Promise<T>;
  /** Frames as they arrive; ends when the server closes the stream. */
  frames(): AsyncGenerator<SseFrame>;
  /** Every frame until the stream ends (or `until` returns true for one). */
  collect(until?: (frame: SseFrame) => boolean): Promise<SseFrame[]>;
  /** Drops the connection, as a client that goes away does. */
  close(): void;
}

/** Opens an SSE request (POST with a JSON body, or GET) with fetch, as a browser or service would. */
export async function openSse(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<SseResponse> {
  const controller = new AbortController();
  const started = Date.now();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, signal: controller.signal });
  let consumed = false;
  const frames = async function* (): AsyncGenerator<SseFrame> {
    if (consumed) throw new Error('the stream was read already');
    consumed = true;
    if (!response.body) return;
    const parser = new SseParser(started);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const frame of parser.push(decoder.decode(chunk, { stream: true }))) yield frame;
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
  };
  return {
    status: response.status,
    headers: response.headers,
    json: <T>() => response.json() as Promise<T>,
    frames,
    async collect(until) {
      const all: SseFrame[] = [];
      for await (const frame of frames()) {
        all.push(frame);
        if (until?.(frame)) {
          controller.abort();
          break;
        }
      }
      return all;
    },
    close: () => controller.abort(),
  };
}

/** The JSON payloads of data frames, `[DONE]` kept as the string. */
export function frameData(frames: SseFrame[]): unknown[] {
  return frames
    .filter((f) => f.data !== undefined)
    .map((f) => (f.data === '[DONE]' ? '[DONE]' : JSON.parse(f.data!)));
}
