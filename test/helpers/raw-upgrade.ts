/**
 * A WebSocket upgrade request written by hand on a raw TCP socket, and the server's answer as
 * bytes: the status line and headers exactly as sent (a WebSocket library would hide them, and
 * would refuse a handshake whose subprotocol it did not offer before we could look).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawAnswer {
  status: number;
  /** Everything up to the blank line: status line and headers, verbatim. */
  head: string;
  /** Header values by lower-case name. */
  headers: Record<string, string>;
}

export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade of ${path}`));
    }, 20_000);
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      const head = received.subarray(0, end).toString('latin1');
      const [statusLine, ...lines] = head.split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), head, headers: parsed });
    });
    const request = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...headers,
    };
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(request).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  });
}
