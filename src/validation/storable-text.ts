/**
 * Text Postgres cannot hold: `\u0000` (refused by both `text` and `jsonb`) and UTF-16
 * surrogates without their pair (no UTF-8 encoding exists for them). Without `u` flag the
 * regex works on code units, which is what finds a lone half.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * The path (`metadata.note`, `input.messages.0.content`) of the first string or object key
 * in a parsed JSON value that Postgres could not store, or undefined when all of it can be
 * stored. Walks with its own stack: a deeply nested body cannot overflow the call stack.
 */
export function unstorableTextPath(value: unknown): string | undefined {
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return path.join('.') || 'body';
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, String(i)] });
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        // A bad key is named escaped, so the answer itself stays storable and printable.
        if (!isStorableText(key)) return [...path, JSON.stringify(key).slice(1, -1)].join('.');
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return undefined;
}
