import { createServer } from 'node:net';

/** The first port in [from, to] that 127.0.0.1 can bind right now. */
export async function findFreePort(from: number, to: number): Promise<number> {
  for (let port = from; port <= to; port++) {
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port between ${from} and ${to}`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => done(true)));
  });
}
