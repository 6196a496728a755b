import { HttpException, Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RunError, RunErrorCode } from '@riser/run-core';

/**
 * Parses a body, query or param with one schema; what fails is a 400 naming the field (422
 * for the LangGraph Platform API, whose clients expect FastAPI's status).
 */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly status: 400 | 422 = 400,
  ) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const field = [...issue.path, ...(unknownKey ? [unknownKey] : [])].join('.') || 'body';
    const message = unknownKey ? `${field}: unknown field` : `${field}: ${issue.message}`;
    if (this.status === 422) throw new HttpException({ error: 'invalid_request', message, field }, 422);
    throw new RunError(RunErrorCode.invalidRequest, message, { field });
  }
}
