/**
 * Load generator for the control-plane bench, run as its own process: a fixed number of keep-alive
 * connections (a bounded, closed-loop load), each sending `POST /v1/chat/completions` and waiting
 * for the answer before sending the next. A raw-socket HTTP/1.1 client, because node:http's client
 * would be the bottleneck long before the server. Prints one JSON line with the results.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    key: { type: 'string' },
    connections: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
});
const port = Number(values.port);
const connections = Number(values.connections);
const measureMs = Number(values.seconds) * 1000;
const warmupMs = Number(values.warmup) * 1000;

const QUESTIONS = ['What are your opening hours?', 'where is the office', 'How much is delivery?', 'do you accept credit cards', 'how can I reach a human'];
const requests = QUESTIONS.map((q) => {
  const body = JSON.stringify({ model: 'faq', messages: [{ role: 'user', content: q }] });
  return Buffer.from(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${values.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
});

const latencies: number[] = [];
let ok = 0;
let errors = 0;
let measuring = false;
let stopping = false;
let measureStart = 0;

function client(id: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let sentAt = 0;
    let n = id;
    const send = () => {
      if (stopping) {
        sock.end();
        return;
      }
      sentAt = performance.now();
      sock.write(requests[n++ % requests.length]);
    };
    sock.on('connect', send);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.subarray(0, headEnd).toString('latin1');
        const m = /content-length:\s*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < headEnd + 4 + len) return;
        const status = Number(head.slice(9, 12));
        buf = buf.subarray(headEnd + 4 + len);
        if (measuring) {
          latencies.push(performance.now() - sentAt);
          if (status === 200) ok++;
          else errors++;
        }
        send();
      }
    });
    sock.on('error', () => {
      errors++;
      resolve();
    });
    sock.on('close', () => resolve());
  });
}

const all = Array.from({ length: connections }, (_, i) => client(i));
setTimeout(() => {
  measuring = true;
  measureStart = performance.now();
  setTimeout(() => {
    const elapsed = performance.now() - measureStart;
    measuring = false;
    stopping = true;
    const lat = summarize(latencies);
    process.stdout.write(JSON.stringify({ connections, seconds: elapsed / 1000, requests: ok, errors, requests_per_s: Math.round(ok / (elapsed / 1000)), latency_ms: lat }) + '\n');
  }, measureMs);
}, warmupMs);
await Promise.all(all);
