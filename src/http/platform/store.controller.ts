import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import type { z } from 'zod';
import type { Item } from '@langchain/langgraph-checkpoint';
import { CurrentPrincipal, type Principal } from '@riser/auth';
import { ItemStore, StoreFilterError, type TenantItemStore } from '@riser/persistence';
import { RISER_CONFIG, type RiserConfig } from '../../config/riser-config.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { pageLimit } from './page-limit.js';
import { PlatformJsonInterceptor } from './platform-json.interceptor.js';
import { storeDeleteSchema, storeGetQuery, storeNamespacesSchema, storePutSchema, storeSearchSchema } from './store.schemas.js';

/**
 * The long-term memory store (`/store/…`), in Postgres, one per tenant: what a client
 * reads and writes here is what its tenant's graphs see as `config.store`, and no request
 * reaches another tenant's items. Inside a tenant the store is shared, as on the Platform
 * (a graph keys per-user memories by a namespace such as `["memories", user_id]`).
 */
@Controller('store')
@UseInterceptors(PlatformJsonInterceptor)
export class StoreController {
  constructor(
    private readonly items: ItemStore,
    @Inject(RISER_CONFIG) private readonly config: RiserConfig,
  ) {}

  @Put('items')
  @HttpCode(204)
  async put(@Body(new ZodPipe(storePutSchema, 422)) body: z.infer<typeof storePutSchema>, @CurrentPrincipal() principal: Principal): Promise<void> {
    await checked(() => this.store(principal).put(body.namespace, body.key, body.value));
  }

  /** The item, or `null` when there is none (as the official server answers). */
  @Get('items')
  async get(@Query(new ZodPipe(storeGetQuery, 422)) query: z.infer<typeof storeGetQuery>, @CurrentPrincipal() principal: Principal) {
    const namespace = query.namespace.split('.');
    if (namespace.some((label) => !label)) invalid('namespace', 'namespace labels cannot be empty');
    return toApiItem(await checked(() => this.store(principal).get(namespace, query.key))) ?? null;
  }

  @Delete('items')
  @HttpCode(204)
  async delete(@Body(new ZodPipe(storeDeleteSchema, 422)) body: z.infer<typeof storeDeleteSchema>, @CurrentPrincipal() principal: Principal): Promise<void> {
    await checked(() => this.store(principal).delete(body.namespace, body.key));
  }

  /**
   * Items under a namespace prefix, filtered on their values' fields (equality, or `$eq`
   * `$ne` `$gt` `$gte` `$lt` `$lte` `$in` `$nin`), newest first. `query` (semantic search)
   * needs a vector index, which Riser's store does not have: a 422 naming it.
   */
  @Post('items/search')
  @HttpCode(200)
  async search(@Body(new ZodPipe(storeSearchSchema, 422)) body: z.infer<typeof storeSearchSchema>, @CurrentPrincipal() principal: Principal) {
    if (body.query) invalid('query', 'semantic search is not available: Riser\'s store has no vector index (search with namespace_prefix and filter instead)');
    const limit = pageLimit(body.limit, this.config.http.maxPageSize);
    const items = await checked(() => this.store(principal).search(body.namespace_prefix, { filter: body.filter ?? undefined, limit, offset: body.offset }));
    return { items: items.map(toApiItem) };
  }

  @Post('namespaces')
  @HttpCode(200)
  async namespaces(@Body(new ZodPipe(storeNamespacesSchema, 422)) body: z.infer<typeof storeNamespacesSchema>, @CurrentPrincipal() principal: Principal) {
    const limit = pageLimit(body.limit, this.config.http.maxPageSize);
    const namespaces = await this.store(principal).listNamespaces({
      prefix: body.prefix ?? undefined,
      suffix: body.suffix ?? undefined,
      maxDepth: body.max_depth ?? undefined,
      limit,
      offset: body.offset,
    });
    return { namespaces };
  }

  private store(principal: Principal): TenantItemStore {
    return this.items.forTenant(principal.tenant);
  }
}

function toApiItem(item: Item | null) {
  if (!item) return item;
  const { createdAt, updatedAt, ...rest } = item;
  return { ...rest, created_at: new Date(createdAt).toISOString(), updated_at: new Date(updatedAt).toISOString() };
}

/** LangGraph's namespace rules (no `langgraph` root, no `:`) and filters Riser cannot apply: 422s naming the field. */
async function checked<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StoreFilterError) invalid('filter', err.message);
    if ((err as Error)?.name === 'InvalidNamespaceError') invalid('namespace', (err as Error).message);
    throw err;
  }
}

function invalid(field: string, message: string): never {
  throw new HttpException({ error: 'invalid_request', message: `${field}: ${message}`, field }, 422);
}
