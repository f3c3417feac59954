/** A loopback port nothing listens on (bound, then released): a server or proxy that is down, connect fails at once. */
import { createServer } from 'node:net';

export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
