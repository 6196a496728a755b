import type { MessageEvent } from '@nestjs/common';

const LINE_BREAK = /\r\n|\r|\n/;
const CR_OR_LF = /[\r\n]/g;

/**
 * One event as SSE text, byte for byte as Nest's SseStream writes it (its `formatMessage`):
 * `event:`, `id:`, `retry:` (CR and LF removed), `:` comment lines, `data:` lines (one per
 * line of the data, objects as JSON), then a blank line. Riser writes frames itself
 * (SseFraming) so that a token costs one string, not a trip through Nest's object-mode
 * stream; the wire stays what it was (tested against Nest's own writer).
 */
export function sseText(event: MessageEvent): string {
  let text = event.type ? `event: ${oneLine(event.type)}\n` : '';
  if (event.id !== undefined && event.id !== null) text += `id: ${oneLine(event.id)}\n`;
  if (event.retry !== undefined && event.retry !== null) text += `retry: ${oneLine(event.retry)}\n`;
  if (event.comment !== undefined && event.comment !== null) text += lines(String(event.comment), ': ');
  if (event.data !== undefined && event.data !== null) text += lines(typeof event.data === 'string' ? event.data : JSON.stringify(event.data), 'data: ');
  return text + '\n';
}

function oneLine(value: unknown): string {
  const text = String(value);
  return text.includes('\n') || text.includes('\r') ? text.replace(CR_OR_LF, '') : text;
}

function lines(value: string, prefix: string): string {
  if (!value.includes('\n') && !value.includes('\r')) return `${prefix}${value}\n`;
  let text = '';
  for (const line of value.split(LINE_BREAK)) text += `${prefix}${line}\n`;
  return text;
}
