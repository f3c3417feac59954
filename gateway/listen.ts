/**
 * Binding a uWS app to its port, exclusively. uWS listens with SO_REUSEPORT by default, so a second
 * gateway started on a port already in use would start "successfully" and the kernel would split
 * callers between two processes (with different voice tokens, databases, calls). With
 * LIBUS_LISTEN_EXCLUSIVE_PORT the second one fails instead; uWS then says only "false", so the
 * reason is learnt by trying the same bind with Node's net module.
 */
import net from 'node:net';
import { uws, type UWS } from './uws.ts';

export type ListenFailure = 'in_use' | 'not_permitted' | 'bad_address' | 'unknown';

/** The port could not be bound; `reason` says why in a word, the message in a sentence. */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly reason: ListenFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface Listening {
  socket: UWS.us_listen_socket;
  port: number;
}

/** Exported by the native module (1); the typings declare it only inside an enum that does not exist at run time. */
const EXCLUSIVE_PORT: number = (() => {
  const option = (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT?: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;
  if (typeof option !== 'number') throw new Error('this uWebSockets.js build lacks LIBUS_LISTEN_EXCLUSIVE_PORT; the gateway needs it to refuse a port already in use');
  return option;
})();

type ExclusiveListen = (host: string, port: number, options: number, cb: (socket: UWS.us_listen_socket | false) => void) => UWS.TemplatedApp;

export function listenExclusive(app: UWS.TemplatedApp, host: string, port: number): Promise<Listening> {
  return new Promise((resolve, reject) => {
    // The typings know the options argument only without a host; the native function takes both.
    (app.listen as unknown as ExclusiveListen).call(app, host, port, EXCLUSIVE_PORT, (socket) => {
      if (socket) return resolve({ socket, port: uws.us_socket_local_port(socket as unknown as UWS.us_socket) });
      void whyNot(host, port).then(reject);
    });
  });
}

async function whyNot(host: string, port: number): Promise<ListenError> {
  const where = `${host}:${port}`;
  const code = await new Promise<string | undefined>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError('in_use', `cannot listen on ${where}: the port is already in use (another gateway, or another program)`);
    case 'EACCES':
      return new ListenError('not_permitted', `cannot listen on ${where}: not permitted for this user (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError('bad_address', `cannot listen on ${where}: ${host} is not an address of this machine`);
    default:
      return new ListenError('unknown', `cannot listen on ${where}${code ? ` (${code})` : ''}`);
  }
}
