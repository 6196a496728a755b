import { z } from 'zod';
import { STATUS_OF_CODE } from '../errors/error-body.js';
import { NOT_IMPLEMENTED_PATHS } from '../platform/not-implemented.controller.js';
import { API_ROUTES, NOT_IMPLEMENTED_METHODS, type ApiRoute } from './api-routes.js';

type Json = Record<string, unknown>;

/** Statuses of the codes that are not RunErrorCodes (transport-level refusals). */
const STATUS_OF_EDGE_CODE: Record<string, number> = {
  unauthorized: 401,
  message_too_large: 413,
  payload_too_large: 413,
  invalid_json: 400,
  unsupported_media_type: 415,
  rate_limited: 429,
  not_found: 404,
  upgrade_required: 426,
};

/** `/threads/:thread_id` as OpenAPI writes it: `/threads/{thread_id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** A request schema as JSON Schema (2020-12, which OpenAPI 3.1 uses): what a client may send. */
function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}

/** The error responses of a route: one per status, naming the codes it may carry. */
function errorResponses(route: Pick<ApiRoute, 'errors' | 'public' | 'tag'>): Json {
  const codes = [...(route.public ? [] : ['unauthorized']), ...route.errors];
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    // The Platform API answers validation errors 422, as FastAPI does; the simple protocol 400.
    const status = code === 'invalid_request' && route.tag === 'platform' ? 422 : (STATUS_OF_EDGE_CODE[code] ?? STATUS_OF_CODE[code]);
    if (!status) throw new Error(`API document: no status for error code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: `\`error\`: ${list.map((c) => `\`${c}\``).join(', ')}`,
        content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { error: { enum: list } } }] } } },
      },
    ]),
  );
}

function operation(route: ApiRoute): Json {
  const ok = route.ok.stream
    ? { description: route.ok.description, content: { 'text/event-stream': { schema: { type: 'string' } } } }
    : { description: route.ok.description };
  return {
    tags: [route.tag],
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:.-](\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
    ...(route.public && { security: [] }),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }),
    responses: { [String(route.ok.status)]: ok, ...errorResponses(route) },
  };
}

function notImplemented(path: string, method: string): Json {
  const pathParams = [...path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  return {
    tags: ['not implemented'],
    summary: 'A LangGraph Platform route Riser does not implement: 404 `not_implemented`, saying what is missing',
    operationId: `notImplemented${method}${path.replace(/[/:.-](\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
    deprecated: true,
    parameters: pathParams,
    responses: errorResponses({ public: false, tag: 'platform', errors: ['not_implemented'] }),
  };
}

/**
 * Riser's OpenAPI 3.1 document, built from the route table and the same zod schemas the
 * routes validate requests with: a schema changed is a document changed.
 */
export function buildOpenApiDocument(version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const add = (path: string, method: string, op: Json) => ((paths[openApiPath(path)] ??= {})[method.toLowerCase()] = op);
  for (const route of API_ROUTES) add(route.path, route.method, operation(route));
  for (const path of NOT_IMPLEMENTED_PATHS) for (const method of NOT_IMPLEMENTED_METHODS) add(path, method, notImplemented(path, method));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Riser',
      version,
      description:
        'LangGraph.js agents over authenticated, resumable streams: the simple protocol (`/chat`), approvals, and the LangGraph Platform-compatible API. ' +
        'The Socket.IO namespace `/chat` (events `chat`, `subscribe`, `approve`, `cancel`, `auth`) is described in the README. Errors are JSON `{error, message}`; clients branch on `error`.',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: [
      { name: 'simple protocol', description: 'POST /chat/stream and its rejoin: SSE frames `id: <seq>`, `data: <json>`' },
      { name: 'approvals', description: 'Deciding interrupts (also over Socket.IO `approve`)' },
      { name: 'platform', description: 'The LangGraph Platform API as `@langchain/langgraph-sdk` calls it' },
      { name: 'health', description: 'Public' },
      { name: 'docs', description: 'Public' },
      { name: 'console', description: 'The approval console page (public; it asks for a token before showing anything)' },
      { name: 'not implemented', description: 'Platform routes answered 404 `not_implemented`' },
    ],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string', description: 'a stable code' }, message: { type: 'string' }, field: { type: 'string' } },
        },
      },
    },
    paths,
  };
}
