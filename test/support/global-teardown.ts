import type { EmbeddedPostgres } from '@riser/persistence';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __riserTestPostgres?: EmbeddedPostgres }).__riserTestPostgres?.stop();
}
