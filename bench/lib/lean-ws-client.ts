/**
 * A deliberately minimal WebSocket client for load generation: raw TCP, precomputed outgoing
 * frames, and a parser that only splits incoming frames and reports their type and payload.
 * A full client library spends more CPU per message than the server under test, which would
 * make the load generator, not the gateway, the thing being measured. Not for production use.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface LeanMessage {
  binary: boolean;
  payload: Buffer;
}

/** Client-to-server frames must be masked; a zero mask key keeps the payload bytes unchanged. */
export function maskedFrame(payload: Buffer, binary: boolean): Buffer {
  const len = payload.length;
  const header = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.alloc(header + 4 + len);
  out[0] = 0x80 | (binary ? 0x2 : 0x1);
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  // mask key bytes stay 0
  payload.copy(out, header + 4);
  return out;
}

export class LeanWsClient {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private upgraded = false;
  onMessage: (m: LeanMessage) => void = () => {};
  onClose: () => void = () => {};

  constructor(host: string, port: number, path: string, headers: Record<string, string>, onOpen: () => void, onError: (e: Error) => void) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      if (!this.upgraded) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.buf.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) {
          onError(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
          this.socket.destroy();
          return;
        }
        this.upgraded = true;
        this.buf = this.buf.subarray(end + 4);
        onOpen();
      }
      this.parse();
    });
    this.socket.on('error', onError);
    this.socket.on('close', () => this.onClose());
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  close(): void {
    // Close frame with code 1000, masked with a zero key.
    this.socket.end(maskedFrame(Buffer.from([0x03, 0xe8]), false).fill(0x88, 0, 1));
  }

  private parse(): void {
    let b = this.buf;
    while (b.length >= 2) {
      const opcode = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) break;
      const payload = b.subarray(off, off + len);
      if (opcode === 0x1 || opcode === 0x2) this.onMessage({ binary: opcode === 0x2, payload });
      else if (opcode === 0x9) this.socket.write(maskedFrame(Buffer.from(payload), false).fill(0x8a, 0, 1)); // pong
      else if (opcode === 0x8) this.socket.end();
      b = b.subarray(off + len);
    }
    this.buf = b.length ? Buffer.from(b) : Buffer.alloc(0);
  }
}
