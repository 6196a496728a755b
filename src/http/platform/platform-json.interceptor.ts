import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { serialize } from './platform-shapes.js';

/**
 * JSON answers of the Platform API written as the official server writes them: state values
 * hold LangChain messages, which must go out as `{...data, type}`, not as LangChain's
 * constructor serialisation that Fastify's JSON.stringify would produce.
 */
@Injectable()
export class PlatformJsonInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((value) => {
        if (value === undefined) return value;
        reply.type('application/json; charset=utf-8');
        return serialize(value);
      }),
    );
  }
}
