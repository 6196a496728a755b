import { z } from 'zod';
import { consoleAssetParams } from '../console/console-assets.js';
import { approvalListQuerySchema, approvalParamsSchema, chatStreamBodySchema, decisionSchema, rejoinQuerySchema, runParamsSchema, threadParamsSchema } from '../chat/chat.schemas.js';
import {
  assistantParam,
  assistantSearchSchema,
  cancelQuery,
  checkpointParam,
  historyQuery,
  historySchema,
  joinStreamQuery,
  joinQuery,
  subgraphParam,
  listRunsQuery,
  runCreateSchema,
  runParam,
  stateAtCheckpointSchema,
  stateQuery,
  stateUpdateSchema,
  threadCreateSchema,
  threadParam,
  threadPatchSchema,
  threadSearchSchema,
} from '../platform/platform.schemas.js';
import { assistantCountSchema, assistantCreateSchema, assistantDeleteQuery, assistantLatestSchema, assistantPatchSchema, assistantVersionsSchema } from '../platform/assistants.schemas.js';
import { storeDeleteSchema, storeGetQuery, storeNamespacesSchema, storePutSchema, storeSearchSchema } from '../platform/store.schemas.js';
import { cronCountSchema, cronCreateSchema, cronParam, cronPatchSchema, cronSearchSchema } from '../platform/crons.schemas.js';

/** `/chat/ws` reads nothing from its query but, like the rejoin GET, an `access_token`. */
const wsQuerySchema = z.object({ access_token: z.string().optional() });

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One route as the API document describes it, with the schemas its pipes validate with. */
export interface ApiRoute {
  method: HttpMethod;
  /** As the router has it: `/threads/:thread_id`. */
  path: string;
  tag: 'simple protocol' | 'approvals' | 'platform' | 'health' | 'docs' | 'console';
  summary: string;
  public?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success status and what it answers. */
  ok: { status: number; description: string; stream?: boolean };
  /** Error codes (`{error: code}`) it may answer with, besides 401 on non-public routes. */
  errors: string[];
}

const BODY = ['invalid_json', 'payload_too_large', 'unsupported_media_type'];
/** Routes that start a run (or decide an interrupt): these also count against RATE_LIMIT_PER_MINUTE. */
const START = ['assistant_not_found', 'thread_busy', 'too_many_runs', 'rate_limited', 'shutting_down', 'unavailable'];
const SIMPLE = 'simple protocol' as const;
const PLATFORM = 'platform' as const;
const sse = (description: string) => ({ status: 200, description, stream: true });
const json = (description: string, status = 200) => ({ status, description });

/** Every route Riser serves (a test compares this with the router's). */
export const API_ROUTES: ApiRoute[] = [
  { method: 'POST', path: '/chat/stream', tag: SIMPLE, summary: 'Send a message (or, with `resume`, a decision) and stream the run', body: chatStreamBodySchema, ok: sse('`id: <seq>` frames: `{thread_id, run_id}`, `{content}`…, `{interrupt, interrupts}`, `{error, message}`, then `[DONE]`'), errors: ['invalid_request', 'message_too_large', 'thread_not_found', 'interrupt_not_found', 'already_decided', 'not_interrupted', 'forbidden', ...START, ...BODY] },
  { method: 'GET', path: '/chat/stream', tag: SIMPLE, summary: 'Rejoin a run after `Last-Event-ID` (EventSource; `access_token` accepted in the query)', query: rejoinQuerySchema, ok: sse('the frames after the cursor, then live ones; 204 when there is nothing after it'), errors: ['invalid_request', 'thread_not_found', 'run_not_found'] },
  { method: 'GET', path: '/chat/ws', tag: SIMPLE, summary: 'The seed\'s plain WebSocket (RFC 6455): send `{message, thread_id}`, read `{content}` frames until `{done: true}`; also `subscribe`, `approve`, `cancel` (README). Token: `Authorization: Bearer`, an API key, or the subprotocol offer `riser, bearer.<jwt>`', query: wsQuerySchema, ok: { status: 101, description: 'Switching Protocols (with `Upgrade: websocket`); without it, 426 `upgrade_required`' }, errors: ['upgrade_required', 'shutting_down'] },
  { method: 'GET', path: '/chat/threads/:thread_id', tag: SIMPLE, summary: 'A thread: status, messages, pending interrupts and approvals, decided approvals (the trail)', params: threadParamsSchema, ok: json('the thread'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'POST', path: '/chat/threads/:thread_id/approvals/:interrupt_id', tag: 'approvals', summary: 'Decide an interrupt: starts the run that resumes the graph', params: approvalParamsSchema, body: decisionSchema, ok: json('`{run_id, thread_id}` of the resuming run', 202), errors: ['invalid_request', 'thread_not_found', 'interrupt_not_found', 'already_decided', 'not_interrupted', 'forbidden', ...START, ...BODY] },
  { method: 'GET', path: '/chat/approvals', tag: 'approvals', summary: 'Pending approvals the caller may decide (its own threads\', and as an approver its tenant\'s), oldest first', query: approvalListQuerySchema, ok: json('`{approvals: [{thread_id, run_id, interrupt_id, value, requested_by, created_at}]}`, shaped like `approval.requested`'), errors: ['invalid_request'] },
  { method: 'GET', path: '/chat/me', tag: 'approvals', summary: 'The caller as Riser sees its credential (a sign-in check)', ok: json('`{sub, tenant, roles, via, expires_at}`'), errors: [] },
  { method: 'POST', path: '/chat/threads/:thread_id/runs/:run_id/cancel', tag: SIMPLE, summary: 'Cancel a running run; answers once it stopped', params: runParamsSchema, ok: json('`{run_id, thread_id, status: "cancelled"}`'), errors: ['invalid_request', 'thread_not_found', 'run_not_found', 'run_not_active'] },

  { method: 'GET', path: '/health/live', tag: 'health', summary: 'Liveness: the process answers', public: true, ok: json('`{status: "ok"}`'), errors: [] },
  { method: 'GET', path: '/health/ready', tag: 'health', summary: 'Readiness: Postgres (and Redis) reachable, not shutting down', public: true, ok: json('`{status: "ok", info}`'), errors: ['unavailable'] },
  { method: 'GET', path: '/ok', tag: 'health', summary: 'The Platform API\'s liveness route', public: true, ok: json('`{ok: true}`'), errors: [] },
  { method: 'GET', path: '/info', tag: 'health', summary: 'Server info and feature flags, as the Platform API gives them', public: true, ok: json('`{version, server, flags}`'), errors: [] },
  { method: 'GET', path: '/openapi.json', tag: 'docs', summary: 'This document', public: true, ok: json('OpenAPI 3.1'), errors: [] },
  { method: 'GET', path: '/console', tag: 'console', summary: 'The approval console: a page to chat, watch runs and decide approvals (needs a token to show anything)', public: true, ok: json('HTML'), errors: [] },
  { method: 'GET', path: '/console/:asset', tag: 'console', summary: 'The console\'s own files (scripts, stylesheet, the bundled Socket.IO client)', public: true, params: consoleAssetParams, ok: json('JavaScript or CSS'), errors: ['not_found'] },
  { method: 'GET', path: '/docs', tag: 'docs', summary: 'This document, browsable (Swagger UI)', public: true, ok: json('HTML'), errors: [] },
  { method: 'GET', path: '/docs/swagger-ui.css', tag: 'docs', summary: 'Swagger UI\'s stylesheet, for /docs', public: true, ok: json('CSS'), errors: [] },
  { method: 'GET', path: '/docs/swagger-ui-bundle.js', tag: 'docs', summary: 'Swagger UI\'s script, for /docs', public: true, ok: json('JavaScript'), errors: [] },

  { method: 'POST', path: '/assistants/search', tag: PLATFORM, summary: 'Search assistants: one system assistant per graph, then the tenant\'s own', body: assistantSearchSchema, ok: json('assistants'), errors: ['invalid_request', ...BODY] },
  { method: 'POST', path: '/assistants', tag: PLATFORM, summary: 'Create an assistant of the caller\'s tenant from a graph', body: assistantCreateSchema, ok: json('the assistant'), errors: ['invalid_request', 'assistant_exists', ...BODY] },
  { method: 'POST', path: '/assistants/count', tag: PLATFORM, summary: 'Count assistants (system and the tenant\'s)', body: assistantCountSchema, ok: json('a number'), errors: ['invalid_request', ...BODY] },
  { method: 'PATCH', path: '/assistants/:assistant_id', tag: PLATFORM, summary: 'Update an assistant: a new version, made the latest', params: assistantParam, body: assistantPatchSchema, ok: json('the assistant'), errors: ['invalid_request', 'assistant_not_found', 'assistant_read_only', ...BODY] },
  { method: 'DELETE', path: '/assistants/:assistant_id', tag: PLATFORM, summary: 'Delete an assistant, its versions and crons (`delete_threads`: the caller\'s threads made with it too)', params: assistantParam, query: assistantDeleteQuery, ok: json('`[assistant_id]`'), errors: ['invalid_request', 'assistant_not_found', 'assistant_read_only'] },
  { method: 'POST', path: '/assistants/:assistant_id/versions', tag: PLATFORM, summary: 'An assistant\'s versions, newest first', params: assistantParam, body: assistantVersionsSchema, ok: json('versions'), errors: ['invalid_request', 'assistant_not_found', ...BODY] },
  { method: 'POST', path: '/assistants/:assistant_id/latest', tag: PLATFORM, summary: 'Make a version the assistant\'s current one', params: assistantParam, body: assistantLatestSchema, ok: json('the assistant'), errors: ['invalid_request', 'assistant_not_found', 'assistant_read_only', ...BODY] },
  { method: 'GET', path: '/assistants/:assistant_id', tag: PLATFORM, summary: 'An assistant', params: assistantParam, ok: json('the assistant'), errors: ['assistant_not_found'] },
  { method: 'GET', path: '/assistants/:assistant_id/graph', tag: PLATFORM, summary: 'Its graph\'s drawable structure', params: assistantParam, ok: json('nodes and edges'), errors: ['assistant_not_found'] },
  { method: 'GET', path: '/assistants/:assistant_id/schemas', tag: PLATFORM, summary: 'Its input, output, state and config schemas', params: assistantParam, ok: json('JSON schemas (null where unknown)'), errors: ['assistant_not_found'] },
  { method: 'GET', path: '/assistants/:assistant_id/subgraphs', tag: PLATFORM, summary: 'Its subgraphs (`recurse`: theirs too), by namespace', params: assistantParam, ok: json('`{namespace: schemas}`'), errors: ['assistant_not_found'] },
  { method: 'GET', path: '/assistants/:assistant_id/subgraphs/:namespace', tag: PLATFORM, summary: 'The subgraphs under one namespace', params: subgraphParam, ok: json('`{namespace: schemas}`'), errors: ['assistant_not_found'] },

  { method: 'POST', path: '/threads', tag: PLATFORM, summary: 'Create a thread', body: threadCreateSchema, ok: json('the thread'), errors: ['invalid_request', 'thread_exists', ...BODY] },
  { method: 'POST', path: '/threads/search', tag: PLATFORM, summary: 'Search the caller\'s threads', body: threadSearchSchema, ok: json('threads (`X-Pagination-*` headers)'), errors: ['invalid_request', ...BODY] },
  { method: 'GET', path: '/threads/:thread_id', tag: PLATFORM, summary: 'A thread', params: threadParam, ok: json('the thread'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'PATCH', path: '/threads/:thread_id', tag: PLATFORM, summary: 'Merge metadata into a thread', params: threadParam, body: threadPatchSchema, ok: json('the thread'), errors: ['invalid_request', 'thread_not_found', ...BODY] },
  { method: 'DELETE', path: '/threads/:thread_id', tag: PLATFORM, summary: 'Delete a thread, its runs and checkpoints', params: threadParam, ok: json('nothing', 204), errors: ['invalid_request', 'thread_not_found', 'thread_busy'] },
  { method: 'GET', path: '/threads/:thread_id/state', tag: PLATFORM, summary: 'The thread\'s current state', params: threadParam, query: stateQuery, ok: json('the state'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'POST', path: '/threads/:thread_id/state', tag: PLATFORM, summary: 'Update the thread\'s state (as a node would)', params: threadParam, body: stateUpdateSchema, ok: json('`{checkpoint}`'), errors: ['invalid_request', 'invalid_update', 'thread_not_found', 'thread_busy', ...BODY] },
  { method: 'POST', path: '/threads/:thread_id/state/checkpoint', tag: PLATFORM, summary: 'The state at a checkpoint', params: threadParam, body: stateAtCheckpointSchema, ok: json('the state'), errors: ['invalid_request', 'thread_not_found', ...BODY] },
  { method: 'GET', path: '/threads/:thread_id/state/:checkpoint_id', tag: PLATFORM, summary: 'The state at a checkpoint', params: checkpointParam, query: stateQuery, ok: json('the state'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'GET', path: '/threads/:thread_id/history', tag: PLATFORM, summary: 'Past states, newest first', params: threadParam, query: historyQuery, ok: json('states'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'POST', path: '/threads/:thread_id/history', tag: PLATFORM, summary: 'Past states, newest first', params: threadParam, body: historySchema, ok: json('states'), errors: ['invalid_request', 'thread_not_found', ...BODY] },

  { method: 'POST', path: '/threads/:thread_id/copy', tag: PLATFORM, summary: 'Copy a thread: a new thread of the caller\'s with its metadata and checkpoint history', params: threadParam, ok: json('the new thread'), errors: ['invalid_request', 'thread_not_found'] },

  { method: 'PUT', path: '/store/items', tag: PLATFORM, summary: 'Put an item in the tenant\'s store', body: storePutSchema, ok: json('nothing', 204), errors: ['invalid_request', ...BODY] },
  { method: 'GET', path: '/store/items', tag: PLATFORM, summary: 'An item of the tenant\'s store (`namespace` dot-joined), or null', query: storeGetQuery, ok: json('the item or null'), errors: ['invalid_request'] },
  { method: 'DELETE', path: '/store/items', tag: PLATFORM, summary: 'Delete an item of the tenant\'s store', body: storeDeleteSchema, ok: json('nothing', 204), errors: ['invalid_request', ...BODY] },
  { method: 'POST', path: '/store/items/search', tag: PLATFORM, summary: 'Items under a namespace prefix, filtered on their values (no semantic `query`: 422)', body: storeSearchSchema, ok: json('`{items}`'), errors: ['invalid_request', ...BODY] },
  { method: 'POST', path: '/store/namespaces', tag: PLATFORM, summary: 'The tenant\'s namespaces (prefix, suffix, max_depth)', body: storeNamespacesSchema, ok: json('`{namespaces}`'), errors: ['invalid_request', ...BODY] },

  { method: 'POST', path: '/runs/crons', tag: PLATFORM, summary: 'Create a stateless cron: each tick runs on a new thread', body: cronCreateSchema, ok: json('the cron'), errors: ['invalid_request', 'assistant_not_found', ...BODY] },
  { method: 'POST', path: '/threads/:thread_id/runs/crons', tag: PLATFORM, summary: 'Create a cron on a thread', params: threadParam, body: cronCreateSchema, ok: json('the cron'), errors: ['invalid_request', 'assistant_not_found', 'thread_not_found', 'forbidden', ...BODY] },
  { method: 'POST', path: '/runs/crons/search', tag: PLATFORM, summary: 'Search the tenant\'s crons', body: cronSearchSchema, ok: json('crons'), errors: ['invalid_request', ...BODY] },
  { method: 'POST', path: '/runs/crons/count', tag: PLATFORM, summary: 'Count the tenant\'s crons', body: cronCountSchema, ok: json('a number'), errors: ['invalid_request', ...BODY] },
  { method: 'PATCH', path: '/runs/crons/:cron_id', tag: PLATFORM, summary: 'Update a cron (schedule, enabled, payload…)', params: cronParam, body: cronPatchSchema, ok: json('the cron'), errors: ['invalid_request', 'cron_not_found', ...BODY] },
  { method: 'DELETE', path: '/runs/crons/:cron_id', tag: PLATFORM, summary: 'Delete a cron', params: cronParam, ok: json('nothing', 204), errors: ['invalid_request', 'cron_not_found'] },

  { method: 'POST', path: '/threads/:thread_id/runs/stream', tag: PLATFORM, summary: 'Start a run on a thread and stream it', params: threadParam, body: runCreateSchema, ok: sse('Platform SSE: `metadata`, `values`, `updates`, `messages`, `custom`, `error`, `end`'), errors: ['invalid_request', 'thread_not_found', ...START, ...BODY] },
  { method: 'POST', path: '/runs/stream', tag: PLATFORM, summary: 'Start a run on a new thread and stream it', body: runCreateSchema, ok: sse('Platform SSE'), errors: ['invalid_request', ...START, ...BODY] },
  { method: 'POST', path: '/threads/:thread_id/runs', tag: PLATFORM, summary: 'Start a run in the background', params: threadParam, body: runCreateSchema, ok: json('the run (`Content-Location` names it)'), errors: ['invalid_request', 'thread_not_found', ...START, ...BODY] },
  { method: 'POST', path: '/threads/:thread_id/runs/wait', tag: PLATFORM, summary: 'Start a run and answer with its final state', params: threadParam, body: runCreateSchema, ok: json('the final values'), errors: ['invalid_request', 'thread_not_found', ...START, ...BODY] },
  { method: 'POST', path: '/runs/wait', tag: PLATFORM, summary: 'Start a run on a new thread and answer with its final state', body: runCreateSchema, ok: json('the final values'), errors: ['invalid_request', ...START, ...BODY] },
  { method: 'GET', path: '/threads/:thread_id/runs', tag: PLATFORM, summary: 'The thread\'s runs', params: threadParam, query: listRunsQuery, ok: json('runs'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'GET', path: '/threads/:thread_id/runs/:run_id', tag: PLATFORM, summary: 'A run', params: runParam, ok: json('the run'), errors: ['invalid_request', 'thread_not_found', 'run_not_found'] },
  { method: 'GET', path: '/threads/:thread_id/runs/:run_id/join', tag: PLATFORM, summary: 'Wait for a run to end; its final values', params: runParam, query: joinQuery, ok: json('the final values'), errors: ['invalid_request', 'thread_not_found', 'run_not_found'] },
  { method: 'GET', path: '/threads/:thread_id/runs/:run_id/stream', tag: PLATFORM, summary: 'Join a run\'s stream (after `Last-Event-ID`)', params: runParam, query: joinStreamQuery, ok: sse('Platform SSE after the cursor, then live'), errors: ['invalid_request', 'thread_not_found', 'run_not_found'] },
  { method: 'POST', path: '/threads/:thread_id/runs/:run_id/cancel', tag: PLATFORM, summary: 'Cancel a run (`action`: interrupt or rollback)', params: runParam, query: cancelQuery, ok: json('nothing', 202), errors: ['invalid_request', 'thread_not_found', 'run_not_found', 'run_not_active'] },
  { method: 'DELETE', path: '/threads/:thread_id/runs/:run_id', tag: PLATFORM, summary: 'Delete a run that ended', params: runParam, ok: json('nothing', 204), errors: ['invalid_request', 'thread_not_found', 'run_not_found', 'run_active'] },
];

/** The methods a not-implemented path is documented on (it answers every one the same). */
export const NOT_IMPLEMENTED_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
