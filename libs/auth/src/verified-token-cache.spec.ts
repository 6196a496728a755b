import { VerifiedTokenCache } from './verified-token-cache.js';
import type { Principal } from './principal.js';

const principal = (exp?: number): Principal => ({ sub: 'a', tenant: 'default', roles: [], via: 'jwt', expiresAt: exp });

describe('VerifiedTokenCache', () => {
  it('trusts a token again only until its expiry', () => {
    const cache = new VerifiedTokenCache();
    const now = 1_000_000_000_000;
    cache.set('t1', principal(now / 1000 + 60), now);
    expect(cache.get('t1', now + 59_000)?.sub).toBe('a');
    expect(cache.get('t1', now + 60_000)).toBeUndefined();
    expect(cache.get('t1x', now)).toBeUndefined();
  });

  it('never keeps a verification longer than five minutes, nor an expired token at all', () => {
    const cache = new VerifiedTokenCache();
    const now = 1_000_000_000_000;
    cache.set('no-exp', principal(), now);
    expect(cache.get('no-exp', now + 299_000)).toBeDefined();
    expect(cache.get('no-exp', now + 300_001)).toBeUndefined();
    cache.set('old', principal(now / 1000 - 1), now);
    expect(cache.get('old', now)).toBeUndefined();
  });

  it('stays bounded, dropping the oldest entries', () => {
    const cache = new VerifiedTokenCache();
    const now = 1_000_000_000_000;
    for (let i = 0; i <= 10_000; i++) cache.set(`t${i}`, principal(now / 1000 + 60), now);
    expect(cache.get('t0', now)).toBeUndefined();
    expect(cache.get('t10000', now)).toBeDefined();
  });
});
