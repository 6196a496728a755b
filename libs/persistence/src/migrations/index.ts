import type { Migration } from './migration.js';
import { threadsAndRuns } from './001-threads-and-runs.js';
import { approvals } from './002-approvals.js';
import { runLeases } from './003-run-leases.js';
import { runLifecycleFunctions } from './004-run-lifecycle-functions.js';
import { delayedRuns } from './005-delayed-runs.js';
import { attemptsAndClaims } from './006-attempts-and-claims.js';
import { assistantsStoreCrons } from './008-assistants-store-crons.js';
import { activeRunsByTenant } from './009-active-runs-by-tenant.js';

/** Every schema change, in order. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [threadsAndRuns, approvals, runLeases, runLifecycleFunctions, delayedRuns, attemptsAndClaims, assistantsStoreCrons, activeRunsByTenant];
export type { Migration };
