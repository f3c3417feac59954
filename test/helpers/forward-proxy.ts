/**
 * A tiny forward proxy on 127.0.0.1 for tests: answers CONNECT host:port by opening a TCP
 * connection there and piping both ways (what undici's ProxyAgent asks for, for http:// targets too).
 * It records each tunnel and the Proxy-Authorization it came with, and can demand one.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface ProxyTunnel {
  target: string;
  proxyAuthorization?: string;
}

export class ForwardProxy {
  readonly tunnels: ProxyTunnel[] = [];
  /** Requests that were not CONNECT (absolute-URI proxying): none expected from undici's ProxyAgent. */
  readonly plainRequests: string[] = [];
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  /** `requireAuth`: the exact Proxy-Authorization value to insist on (407 otherwise). */
  constructor(private readonly opts: { requireAuth?: string } = {}) {
    this.server = createServer((req, res) => {
      this.plainRequests.push(`${req.method} ${req.url}`);
      res.writeHead(501).end('only CONNECT');
    });
    this.server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => this.tunnel(req, client, head));
    this.server.on('connection', (s: Socket) => this.track(s));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>`, with `user:password@` when given. */
  url(credentials?: string): string {
    return `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const auth = req.headers['proxy-authorization'];
    this.tunnels.push({ target: req.url ?? '', proxyAuthorization: auth });
    client.on('error', () => {});
    if (this.opts.requireAuth && auth !== this.opts.requireAuth) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = splitHostPort(req.url ?? '');
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }
}

function splitHostPort(authority: string): [string, number] {
  const at = authority.lastIndexOf(':');
  return [authority.slice(0, at).replace(/^\[|\]$/g, ''), Number(authority.slice(at + 1))];
}
