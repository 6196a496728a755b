import pg from 'pg';
import { isDatabaseUnavailable } from './database-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['no free pool connection in time', new Error('timeout exceeded when trying to connect')],
    ['a connection cut', new Error('Connection terminated unexpectedly')],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['the server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['a connection exception class', withCode('connection failure', '08006')],
  ])('is true for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a syntax error', withCode('syntax error at or near "SELEC"', '42601')],
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a plain error', new Error('something else')],
    ['a string', 'timeout exceeded when trying to connect'],
  ])('is false for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('recognises what the pool fails with when nothing listens where the database should be', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 9, max: 1, connectionTimeoutMillis: 50 });
    try {
      const failure = await pool.query('SELECT 1').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isDatabaseUnavailable(failure)).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
