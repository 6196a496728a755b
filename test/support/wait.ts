/** Polls `fn` until `ok` holds for its value (or the time is up), and returns the last value. */
export async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
