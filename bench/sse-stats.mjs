// The load generator's reading of a `text/event-stream` body, and its statistics.
// Plain ES module with no dependencies and no `import.meta`: the benchmark imports it as is,
// and Jest (CommonJS through swc) imports it from bench/load.spec.ts.

/**
 * An incremental SSE parser (the WHATWG event-stream rules): lines end with CRLF, LF or CR,
 * even when a chunk ends between the CR and the LF; `data:` lines of one event are joined
 * with "\n"; a blank line dispatches the event (none when it had no data); lines starting
 * with ":" are comments (heartbeats); one space after the colon is dropped. Chunks may be
 * strings or bytes (UTF-8, split anywhere).
 */
export class SseParser {
  /**
   * @param {(event: { type: 'event', id: string | undefined, event: string | undefined, data: string } | { type: 'comment', comment: string }) => void} onEvent
   */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.decoder = new TextDecoder('utf-8');
    this.rest = '';
    this.skipLf = false;
    this.data = undefined;
    this.id = undefined;
    this.event = undefined;
  }

  /** Feeds one chunk of the body. */
  push(chunk) {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text.length === 0) return;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    const s = this.rest.length ? this.rest + text : text;
    const n = s.length;
    let pos = 0;
    // Positions of the next CR and LF, searched again only once passed (no rescans).
    let cr = s.indexOf('\r');
    let lf = s.indexOf('\n');
    while (pos < n) {
      if (cr !== -1 && cr < pos) cr = s.indexOf('\r', pos);
      if (lf !== -1 && lf < pos) lf = s.indexOf('\n', pos);
      let end;
      let next;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
      } else if (cr !== -1) {
        end = cr;
        if (cr + 1 < n) next = s.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = cr + 1;
          this.skipLf = true; // a CRLF may be split between this chunk and the next
        }
      } else break;
      this.line(s.slice(pos, end));
      pos = next;
    }
    this.rest = pos < n ? s.slice(pos) : '';
  }

  /** The body ended: an event without its blank line is dropped, as the standard says. */
  end() {
    const tail = this.decoder.decode();
    if (tail) this.push(tail);
    this.rest = '';
    this.data = undefined;
    this.event = undefined;
  }

  line(line) {
    if (line.length === 0) {
      if (this.data !== undefined) this.onEvent({ type: 'event', id: this.id, event: this.event, data: this.data });
      this.data = undefined;
      this.event = undefined;
      this.id = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onEvent({ type: 'comment', comment: line.slice(line.charCodeAt(1) === 32 ? 2 : 1) });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'id') {
      if (!value.includes('\0')) this.id = value;
    } else if (field === 'event') this.event = value;
    // `retry` and unknown fields are ignored.
  }
}

/** The text of token `i` the bench model streams (bench/graph.mjs). */
export const expectedToken = (i) => `tok${i} `;

/**
 * What one stream looked like to the client: times (ms, from the request's start) to the
 * response headers (TTFB) and to the first token frame (TTFT), the gaps between token frames
 * (frames read from one chunk are 0 ms apart), the tokens, `[DONE]`, errors. A stream is
 * short when it has fewer tokens than expected or no `[DONE]`; a token that is not the next
 * expected one (lost, repeated, reordered), or one more than expected, counts as a mismatch.
 */
export class StreamStats {
  /**
   * @param {{ expectedTokens: number, t0: number, checkContent?: boolean }} options
   */
  constructor({ expectedTokens, t0, checkContent = true }) {
    this.expectedTokens = expectedTokens;
    this.checkContent = checkContent;
    this.t0 = t0;
    this.status = undefined;
    this.ttfb = undefined;
    this.ttft = undefined;
    this.tokens = 0;
    this.mismatches = 0;
    this.done = false;
    this.afterDone = 0;
    this.comments = 0;
    this.meta = undefined;
    this.ids = 0;
    this.lastId = undefined;
    this.nonMonotonicIds = 0;
    this.errors = [];
    this.gaps = [];
    this.lastTokenAt = undefined;
    this.endedAt = undefined;
    this.now = t0;
    this.parser = new SseParser((ev) => this.onEvent(ev));
  }

  /** The response's status line and headers arrived at `t`. */
  headers(t, status) {
    this.ttfb = t - this.t0;
    this.status = status;
    if (status !== 200) this.errors.push(`http_${status}`);
  }

  /** A chunk of the body arrived at `t`. */
  chunk(chunk, t) {
    this.now = t;
    this.parser.push(chunk);
  }

  /** The body ended at `t`. */
  finish(t) {
    this.now = t;
    this.parser.end();
    this.endedAt = t - this.t0;
  }

  /** The request failed (connection error, timeout…). */
  fail(code, t) {
    this.errors.push(String(code));
    if (this.endedAt === undefined) this.endedAt = t - this.t0;
  }

  onEvent(ev) {
    if (ev.type === 'comment') {
      this.comments += 1;
      return;
    }
    if (ev.id !== undefined) {
      this.ids += 1;
      const id = Number(ev.id);
      if (this.lastId !== undefined && !(id > this.lastId)) this.nonMonotonicIds += 1;
      this.lastId = id;
    }
    if (this.done) {
      this.afterDone += 1;
      return;
    }
    if (ev.data === '[DONE]') {
      this.done = true;
      return;
    }
    let payload;
    try {
      payload = JSON.parse(ev.data);
    } catch {
      this.errors.push('bad_json');
      return;
    }
    if (payload && typeof payload.content === 'string') {
      if (this.checkContent && payload.content !== expectedToken(this.tokens)) this.mismatches += 1;
      this.tokens += 1;
      if (this.lastTokenAt === undefined) this.ttft = this.now - this.t0;
      else this.gaps.push(this.now - this.lastTokenAt);
      this.lastTokenAt = this.now;
    } else if (payload && typeof payload.error === 'string') {
      this.errors.push(`frame_${payload.error}`);
    } else if (payload && payload.thread_id !== undefined && this.meta === undefined) {
      this.meta = payload;
    }
  }

  /** Fewer tokens than expected, or no `[DONE]`. */
  get short() {
    return !this.done || this.tokens < this.expectedTokens;
  }

  result() {
    return {
      status: this.status,
      ttfb: this.ttfb,
      ttft: this.ttft,
      tokens: this.tokens,
      gaps: this.gaps,
      done: this.done,
      short: this.short,
      mismatches: this.mismatches + Math.max(0, this.tokens - this.expectedTokens),
      afterDone: this.afterDone,
      comments: this.comments,
      ids: this.ids,
      nonMonotonicIds: this.nonMonotonicIds,
      errors: this.errors,
      endedAt: this.endedAt,
    };
  }
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function sortedOf(values) {
  const arr = Float64Array.from(values);
  arr.sort();
  return arr;
}

/** Totals and percentiles over the streams of one measured phase. */
export function summarizeStreams(results) {
  const ttfb = [];
  const ttft = [];
  let gapCount = 0;
  let tokens = 0;
  let errors = 0;
  let short = 0;
  let mismatches = 0;
  let done = 0;
  const errorCodes = {};
  for (const r of results) {
    if (r.ttfb !== undefined) ttfb.push(r.ttfb);
    if (r.ttft !== undefined) ttft.push(r.ttft);
    gapCount += r.gaps.length;
    tokens += r.tokens;
    if (r.short) short += 1;
    if (r.done) done += 1;
    mismatches += r.mismatches;
    if (r.errors.length || r.afterDone || r.nonMonotonicIds) errors += 1;
    for (const code of r.errors) errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    if (r.afterDone) errorCodes.data_after_done = (errorCodes.data_after_done ?? 0) + 1;
    if (r.nonMonotonicIds) errorCodes.non_monotonic_ids = (errorCodes.non_monotonic_ids ?? 0) + 1;
  }
  const gaps = new Float64Array(gapCount);
  let k = 0;
  for (const r of results) for (const g of r.gaps) gaps[k++] = g;
  gaps.sort();
  const sTtfb = sortedOf(ttfb);
  const sTtft = sortedOf(ttft);
  return {
    streams: results.length,
    tokens,
    done,
    errors,
    errorCodes,
    short,
    mismatches,
    ttfbP50: percentile(sTtfb, 50),
    ttfbP99: percentile(sTtfb, 99),
    ttftP50: percentile(sTtft, 50),
    ttftP99: percentile(sTtft, 99),
    gapP50: percentile(gaps, 50),
    gapP99: percentile(gaps, 99),
    gapMax: gaps.length ? gaps[gaps.length - 1] : NaN,
  };
}
