import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.js';
import { AuthError } from './errors.js';
import type { Principal } from './principal.js';
import { hashApiKey } from './api-key-hash.js';

/** API keys, stored only as sha256 digests, each standing for a fixed principal. */
@Injectable()
export class ApiKeyVerifier {
  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {}

  get enabled(): boolean {
    return this.options.apiKeys.size > 0;
  }

  verify(key: string): Principal {
    const digest = hashApiKey(key);
    for (const [known, principal] of this.options.apiKeys) {
      if (timingSafeEqual(Buffer.from(known, 'hex'), Buffer.from(digest, 'hex'))) {
        return { ...principal, via: 'api_key' };
      }
    }
    throw new AuthError('invalid API key');
  }
}
