import net from 'node:net';

/**
 * A TCP proxy in front of a server that cuts each client connection once `cutAfterBytes`
 * of the response have gone through it — what a flaky network or a proxy timeout does to a
 * long stream. Only the first `cuts` connections are cut.
 */
export async function startCuttingProxy(target: string, cutAfterBytes: number, cuts: number) {
  const { hostname, port } = new URL(target);
  let remaining = cuts;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(port), hostname);
    const cutThis = remaining > 0 && remaining--;
    let sent = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (cutThis && sent + chunk.length >= cutAfterBytes) {
        client.write(chunk.subarray(0, Math.max(0, cutAfterBytes - sent)));
        client.destroy();
        upstream.destroy();
        return;
      }
      sent += chunk.length;
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
