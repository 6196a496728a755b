import type { z } from 'zod';
import { approvalParamsSchema, chatStreamBodySchema, decisionSchema, rejoinQuerySchema, runParamsSchema, threadParamsSchema } from '../chat/chat.schemas.js';
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

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One route as the API document describes it, with the schemas its pipes validate with. */
export interface ApiRoute {
  method: HttpMethod;
  /** As the router has it: `/threads/:thread_id`. */
  path: string;
  tag: 'simple protocol' | 'approvals' | 'platform' | 'health' | 'docs';
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
  { method: 'GET', path: '/chat/threads/:thread_id', tag: SIMPLE, summary: 'A thread: status, messages, pending interrupts', params: threadParamsSchema, ok: json('the thread'), errors: ['invalid_request', 'thread_not_found'] },
  { method: 'POST', path: '/chat/threads/:thread_id/approvals/:interrupt_id', tag: 'approvals', summary: 'Decide an interrupt: starts the run that resumes the graph', params: approvalParamsSchema, body: decisionSchema, ok: json('`{run_id, thread_id}` of the resuming run', 202), errors: ['invalid_request', 'thread_not_found', 'interrupt_not_found', 'already_decided', 'not_interrupted', 'forbidden', ...START, ...BODY] },
  { method: 'POST', path: '/chat/threads/:thread_id/runs/:run_id/cancel', tag: SIMPLE, summary: 'Cancel a running run; answers once it stopped', params: runParamsSchema, ok: json('`{run_id, thread_id, status: "cancelled"}`'), errors: ['invalid_request', 'thread_not_found', 'run_not_found', 'run_not_active'] },

  { method: 'GET', path: '/health/live', tag: 'health', summary: 'Liveness: the process answers', public: true, ok: json('`{status: "ok"}`'), errors: [] },
  { method: 'GET', path: '/health/ready', tag: 'health', summary: 'Readiness: Postgres (and Redis) reachable, not shutting down', public: true, ok: json('`{status: "ok", info}`'), errors: ['unavailable'] },
  { method: 'GET', path: '/ok', tag: 'health', summary: 'The Platform API\'s liveness route', public: true, ok: json('`{ok: true}`'), errors: [] },
  { method: 'GET', path: '/info', tag: 'health', summary: 'Server info and feature flags, as the Platform API gives them', public: true, ok: json('`{version, server, flags}`'), errors: [] },
  { method: 'GET', path: '/openapi.json', tag: 'docs', summary: 'This document', public: true, ok: json('OpenAPI 3.1'), errors: [] },
  { method: 'GET', path: '/docs', tag: 'docs', summary: 'This document, browsable (Swagger UI)', public: true, ok: json('HTML'), errors: [] },
  { method: 'GET', path: '/docs/swagger-ui.css', tag: 'docs', summary: 'Swagger UI\'s stylesheet, for /docs', public: true, ok: json('CSS'), errors: [] },
  { method: 'GET', path: '/docs/swagger-ui-bundle.js', tag: 'docs', summary: 'Swagger UI\'s script, for /docs', public: true, ok: json('JavaScript'), errors: [] },

  { method: 'POST', path: '/assistants/search', tag: PLATFORM, summary: 'Search assistants (one per graph)', body: assistantSearchSchema, ok: json('assistants'), errors: ['invalid_request', ...BODY] },
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
