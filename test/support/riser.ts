import { startRiser as start, type RiserTestApp, type StartRiserOptions } from '@riser/testing';
import { createRiser } from '../../src/riser.js';

export type { RiserTestApp };

/** Riser in process, on a random port, with its own database: see libs/testing. */
export function startRiser(options: Omit<StartRiserOptions, 'create'> = {}): Promise<RiserTestApp> {
  return start({ create: createRiser, ...options });
}

/** POSTs a chat message to /chat/stream as the seed's clients do. */
export function chatBody(message: string, extra: Record<string, unknown> = {}) {
  return { message, ...extra };
}

/** Like startRiser, with the Nest app too: for tests that must reach below the HTTP edge. */
export async function startRiserWithApp(options: Omit<StartRiserOptions, 'create'> = {}) {
  let created: Awaited<ReturnType<typeof createRiser>> | undefined;
  const riser = await start({ create: async (env) => (created = await createRiser(env)), ...options });
  return { ...riser, app: created!.app };
}
