import net from 'node:net';
import { Redis } from 'ioredis';
import { findRedisServer, startRedis } from './redis.js';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

if (!findRedisServer()) console.warn('SKIPPED test Redis helper spec: no redis-server on this machine (apt-get install redis-server)');

// The Redis outage e2e relies on this helper doing what it says: stop, start again on the
// same port, empty.
(findRedisServer() ? describe : describe.skip)('startRedis', () => {
  it('stops, starts again on the same port with nothing kept, and is gone after destroy', async () => {
    const redis = await startRedis();
    const client = () => new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const a = client();
      await a.connect();
      await a.set('kept?', 'yes');
      expect(await a.get('kept?')).toBe('yes');
      a.disconnect();

      await redis.stop();
      expect(redis.running()).toBe(false);
      expect(await reachable(redis.port)).toBe(false);

      await redis.start();
      const b = client();
      await b.connect();
      expect(await b.get('kept?')).toBeNull();
      b.disconnect();
    } finally {
      await redis.destroy();
    }
    expect(redis.running()).toBe(false);
    expect(await reachable(redis.port)).toBe(false);
  });
});
