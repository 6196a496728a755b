import { HttpException, Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RunError, RunErrorCode } from '@riser/run-core';
import { unstorableTextPath } from './storable-text.js';

/**
 * Parses a body, query or param with one schema; what fails is a 400 naming the field (422
 * for the LangGraph Platform API, whose clients expect FastAPI's status). Every HTTP body
 * and socket payload passes here, so this is also where text Postgres cannot store
 * (`\u0000`, unpaired surrogates) is refused, anywhere in the value: before anything is
 * written, instead of a 500 from the database half-way through.
 */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly status: 400 | 422 = 400,
  ) {}

  transform(value: unknown): z.infer<S> {
    const badText = unstorableTextPath(value);
    if (badText) this.refuse(badText, `${badText}: contains text that cannot be stored (\\u0000 or an unpaired surrogate)`);
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const field = [...issue.path, ...(unknownKey ? [unknownKey] : [])].join('.') || 'body';
    this.refuse(field, unknownKey ? `${field}: unknown field` : `${field}: ${issue.message}`);
  }

  private refuse(field: string, message: string): never {
    if (this.status === 422) throw new HttpException({ error: 'invalid_request', message, field }, 422);
    throw new RunError(RunErrorCode.invalidRequest, message, { field });
  }
}
