import { HttpException } from '@nestjs/common';

/**
 * A list, search or history page's `limit`, checked against MAX_PAGE_SIZE: past it the
 * request is a 422 `invalid_request` naming `limit` (the Platform API's validation status),
 * so a client learns the cap instead of silently getting fewer rows than it asked for.
 */
export function pageLimit(limit: number, max: number): number {
  if (limit > max) {
    throw new HttpException({ error: 'invalid_request', message: `limit: must be at most ${max} (MAX_PAGE_SIZE)`, field: 'limit' }, 422);
  }
  return limit;
}

/**
 * `fn` over `items`, at most `concurrency` at a time, results in order: per-thread
 * checkpoint reads of a search page take a few pool connections, not the whole pool.
 */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
