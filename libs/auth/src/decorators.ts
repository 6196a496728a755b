import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'riser:public';
export const ALLOWS_QUERY_TOKEN = 'riser:allows-query-token';

/** Opens a route to unauthenticated callers. Every other route requires a principal. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * Accepts `?access_token=` on this route, for EventSource clients that cannot set headers.
 * Honoured on GET only: a token in a URL leaks into logs and history, so it is allowed
 * only where there is no alternative.
 */
export const AllowQueryToken = () => SetMetadata(ALLOWS_QUERY_TOKEN, true);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().user,
);
