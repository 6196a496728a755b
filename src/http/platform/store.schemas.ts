import { z } from 'zod';

/**
 * Bodies of the Platform API's store routes, as SDK 1.x sends them. A namespace label is
 * a non-empty string without `.` (the SDK joins a namespace with dots in a query string).
 */
const label = z
  .string()
  .min(1, { error: 'namespace labels cannot be empty' })
  .max(256)
  .refine((l) => !l.includes('.'), { error: 'namespace labels cannot contain "."' });
const namespace = z.array(label).min(1, { error: 'a namespace needs at least one label' }).max(32);
const record = z.record(z.string(), z.unknown());

export const storePutSchema = z
  .object({
    namespace,
    key: z.string().min(1).max(1024),
    value: record,
    // Sent by the SDK: Riser's store has no vector index to add to, and keeps items until deleted.
    index: z.union([z.literal(false), z.array(z.string())]).nullish(),
    ttl: z.number().nullish(),
  })
  .strict();

export const storeDeleteSchema = z.object({ namespace, key: z.string().min(1).max(1024) }).strict();

/** `GET /store/items?namespace=a.b&key=k` (the SDK joins the namespace with dots). */
export const storeGetQuery = z.object({
  namespace: z.string().min(1).max(8192),
  key: z.string().min(1).max(1024),
  refresh_ttl: z.string().optional(),
});

export const storeSearchSchema = z
  .object({
    namespace_prefix: z.array(label).max(32).default([]),
    filter: record.nullish(),
    limit: z.number().int().min(1).max(1000).default(10),
    offset: z.number().int().min(0).default(0),
    query: z.string().nullish(),
    refresh_ttl: z.boolean().nullish(),
  })
  .strict();

const path = z.array(z.string().min(1).max(256)).max(32);

export const storeNamespacesSchema = z
  .object({
    prefix: path.nullish(),
    suffix: path.nullish(),
    max_depth: z.number().int().min(1).max(32).nullish(),
    limit: z.number().int().min(1).max(1000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();
