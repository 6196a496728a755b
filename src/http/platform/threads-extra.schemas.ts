import { z } from 'zod';

/**
 * `supersteps` of `POST /threads`, as SDK 1.x sends them: each superstep a list of updates
 * applied together, each as if the node `as_node` had returned `values` (or a `command`).
 */
export const superstepsSchema = z
  .array(
    z
      .object({
        updates: z
          .array(
            z
              .object({
                values: z.unknown().optional(),
                command: z.object({ resume: z.unknown().optional(), update: z.unknown().optional(), goto: z.unknown().optional() }).strict().nullish(),
                as_node: z.string().min(1),
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
  )
  .max(1000);
