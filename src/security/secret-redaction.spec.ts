import { redactDeep, redactSecrets } from './secret-redaction.js';

describe('redactSecrets', () => {
  it.each([
    ['boom: could not reach postgres://admin:hunter2@db.internal/prod', 'boom: could not reach postgres://[redacted]', 'hunter2'],
    ['redis at rediss://:s3cr3t@cache:6380/0 refused', 'redis at rediss://[redacted] refused', 's3cr3t'],
    ['GET https://bob:pa55word@api.example.com/x failed', 'GET https://[redacted]@api.example.com/x failed', 'pa55word'],
    ['login failed: password=hunter2; user=admin', 'login failed: password=[redacted]; user=admin', 'hunter2'],
    ['{"api_key": "abc123def456", "n": 1}', '{"api_key": "[redacted]", "n": 1}', 'abc123def456'],
    ['header Authorization: Bearer abcdefghijklmnop', 'header Authorization: Bearer [redacted]', 'abcdefghijklmnop'],
    ['openai: invalid key sk-proj-ABCDEFGHIJKLMNOPQRST', 'openai: invalid key [redacted]', 'ABCDEFGHIJKLMNOPQRST'],
    ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl expired', 'token [redacted] expired', 'c2lnbmF0dXJl'],
    ['aws AKIAABCDEFGHIJKLMNOP denied', 'aws [redacted] denied', 'AKIAABCDEFGHIJKLMNOP'],
    ['key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- bad', 'key [redacted] bad', 'MIIE'],
  ])('%s', (text, expected, secret) => {
    expect(redactSecrets(text)).toBe(expected);
    expect(redactSecrets(text)).not.toContain(secret);
  });

  it('leaves ordinary text alone', () => {
    for (const text of ['the graph failed (TypeError)', 'Recursion limit of 25 reached', 'see https://docs.example.com/a?b=c', 'the token budget is 42']) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it('redacts errors and nested fields for a log line', () => {
    const err = new Error('connect ECONNREFUSED mysql://root:toor@10.0.0.5/app');
    const out = redactDeep({ msg: 'x', err, nested: { url: 'redis://:pw@r/1', n: 3 } }) as any;
    expect(JSON.stringify(out)).not.toMatch(/toor|:pw@/);
    expect(out).toMatchObject({ err: { type: 'Error', message: 'connect ECONNREFUSED mysql://[redacted]' }, nested: { n: 3 } });
    expect(out.err.stack).toContain('mysql://[redacted]');
  });
});
