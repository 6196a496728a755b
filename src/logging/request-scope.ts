import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { RunCoreEvents } from '@riser/run-core';
import { logScope, REQUEST_ID_KEY, runLogScope } from './log-scope.js';

/** A request id a client may choose: short, printable, no spaces (it ends up in every log line). */
const CLIENT_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** Fastify's `genReqId`: the client's `x-request-id` when it is a sane one, else a UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Every request runs in a log scope (its id, its principal once authenticated), and answers
 * with its id in `x-request-id` so a client can quote it.
 */
export function scopeRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    // `done` inside `run`: the rest of the request (guards, handler, the run it starts) inherits it.
    logScope.run({ reqId: req.id, req: req as { user?: { tenant?: string } } }, done);
  });
}

/**
 * Gives each attempt of a run its ids in the log scope (outermost wrapper: other wrappers log
 * with them), and stores the admitting request's id with the run.
 */
@Injectable()
export class RunLogScope implements OnModuleInit {
  constructor(private readonly events: RunCoreEvents) {}

  onModuleInit(): void {
    this.events.runWrappers.unshift(runLogScope);
    this.events.carrierSources.push(() => {
      const reqId = logScope.getStore()?.reqId;
      return reqId ? { [REQUEST_ID_KEY]: reqId } : undefined;
    });
  }
}
