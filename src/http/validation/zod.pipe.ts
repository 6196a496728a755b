import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RunError, RunErrorCode } from '@riser/run-core';

/** Parses a body, query or param with one schema; what fails is a 400 naming the field. */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : 'body';
    throw new RunError(RunErrorCode.invalidRequest, `${field}: ${issue.message}`, { field });
  }
}
