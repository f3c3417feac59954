/**
 * Website widget chat under load: N visitor sessions at once (default 200) against a real gateway
 * process on 127.0.0.1, each asking FAQ questions one after another over the public visitor API
 * (POST /widget/v1/<id>/messages, replies as server-sent events), as widget.js does. Reports the
 * client-side time to the first `delta` event (first token) p50/p99, the whole reply, and the
 * gateway's own event-loop lag p99 over the load (its /metrics, reset by a scrape just before):
 * the target is <= 10 ms, so voice calls on the same process are not disturbed. Bounded by count
 * (--clients x --turns) and by time (--seconds: no new question after it). `--think-ms`: each
 * visitor waits that long (jittered +-50%) between a reply and their next question, as people
 * reading and typing do; 0 (the default) asks back to back: the gateway's throughput.
 *
 *   npm run bench -- widget [--clients 200] [--turns 5] [--think-ms 0] [--seconds 60] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { adminLogin, seedAdmin } from '../test/e2e/helpers/admin-client.ts';
import { machineInfo } from './lib/machine.ts';
import { cpuSeconds, freePort, startTsProcess, stopProcess } from './lib/processes.ts';
import { BENCH_METRICS_TOKEN, scrapeLag } from './lib/scrape-lag.ts';
import { summarize } from './lib/stats.ts';

export const TARGETS = { event_loop_lag_p99_ms: 10 };
const ORIGIN = 'https://bench.example';

const FAQ = [
  { question: 'What are your opening hours?', answer: 'We are open Monday to Friday from nine in the morning to six in the evening.', keywords: ['hours', 'open'] },
  { question: 'Where is your office?', answer: 'Our office is at one Main Street, on the second floor.', keywords: ['office', 'address', 'where'] },
  { question: 'How much does delivery cost?', answer: 'Delivery is free for orders over fifty euros, otherwise it costs five euros.', keywords: ['delivery', 'shipping'] },
];

export interface WidgetBenchOptions {
  clients?: number;
  turns?: number;
  seconds?: number;
  /** Between a reply and the visitor's next question (default 0). */
  thinkMs?: number;
  onProgress?: (message: string) => void;
}

interface Sample {
  first_token_ms: number;
  reply_ms: number;
}

export async function runWidgetBench(opts: WidgetBenchOptions = {}) {
  const clients = opts.clients ?? 200;
  const turns = opts.turns ?? 5;
  const seconds = opts.seconds ?? 60;
  const thinkMs = opts.thinkMs ?? 0;
  const progress = opts.onProgress ?? (() => {});
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-bench-widget-'));
  const port = await freePort();
  await seedAdmin(dataDir);
  progress('starting the gateway');
  const child = await startTsProcess(
    'gateway/main.ts',
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PIPELINE: 'echo',
      DATA_DIR: dataDir,
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      PASSWORD_HASH_LN: '12',
      // The route classes' per-IP limits: every visitor here comes from 127.0.0.1.
      RATE_LIMIT_CHAT: '1000000/min',
      RATE_LIMIT_DEFAULT: '1000000/min',
      RATE_LIMIT_AUTH: '1000/min',
    },
    (line) => line.includes('gateway listening'),
    60_000,
  ).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const admin = await adminLogin(base);
    for (const f of FAQ) await admin.call('POST', '/admin/faq', f);
    const w = await admin.call('POST', '/admin/widgets', { name: 'bench', allowed_origins: [ORIGIN], session_messages_per_min: 600, ip_messages_per_min: 10_000 });
    if (w.status !== 201) throw new Error(`creating the widget: ${w.status} ${w.text}`);
    const root = `${base}/widget/v1/${w.body.public_id}`;

    progress(`${clients} visitor sessions`);
    const tokens = await Promise.all(
      Array.from({ length: clients }, async () => {
        const r = await fetch(`${root}/sessions`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: '{}' });
        if (r.status !== 201) throw new Error(`session: ${r.status} ${await r.text()}`);
        return ((await r.json()) as { token: string }).token;
      }),
    );

    // One warm-up question each is not measured (first FAQ load, JIT), then the measured turns.
    const ask = async (token: string, question: string): Promise<Sample> => {
      const started = performance.now();
      const res = await fetch(`${root}/messages`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ content: question }),
      });
      if (res.status !== 200) throw new Error(`message: ${res.status} ${await res.text()}`);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let first = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (!first && text.includes('event: delta')) first = performance.now() - started;
      }
      if (!text.includes('event: done')) throw new Error(`no done event: ${text.slice(0, 200)}`);
      return { first_token_ms: first || performance.now() - started, reply_ms: performance.now() - started };
    };
    await Promise.all(tokens.map((tk, i) => ask(tk, FAQ[i % FAQ.length].question)));

    const loadAvg = Math.round(os.loadavg()[0] * 100) / 100;
    await scrapeLag(port); // resets the gateway's lag window: what follows is the load's
    progress(`${clients} visitors x ${turns} questions (at most ${seconds} s)`);
    const deadline = performance.now() + seconds * 1000;
    const samples: Sample[] = [];
    let errors = 0;
    const started = performance.now();
    const cpuBefore = cpuSeconds(child.pid!);
    await Promise.all(
      tokens.map(async (tk, i) => {
        for (let n = 0; n < turns && performance.now() < deadline; n++) {
          if (thinkMs) await new Promise((r) => setTimeout(r, thinkMs * (0.5 + Math.random())));
          try {
            samples.push(await ask(tk, FAQ[(i + n) % FAQ.length].question));
          } catch {
            errors++;
          }
        }
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    const gatewayCpuS = cpuSeconds(child.pid!) - cpuBefore;
    const lag = await scrapeLag(port);
    const firstToken = summarize(samples.map((s) => s.first_token_ms));
    return {
      bench: 'widget-chat',
      machine: machineInfo(),
      /** Other work on the machine when the load began (this bench's client shares the machine with the gateway). */
      load_avg_1m: loadAvg,
      visitors: clients,
      questions_per_visitor: turns,
      think_ms: thinkMs,
      replies: samples.length,
      errors,
      wall_s: Math.round(wallS * 100) / 100,
      replies_per_s: Math.round((samples.length / wallS) * 10) / 10,
      /** The gateway process's CPU time (all its threads) per reply: what one answered question costs it. */
      gateway_cpu_ms_per_reply: samples.length ? Math.round(((gatewayCpuS * 1000) / samples.length) * 100) / 100 : null,
      first_token_ms: firstToken,
      reply_ms: summarize(samples.map((s) => s.reply_ms)),
      gateway_event_loop_lag_ms: lag,
      targets: TARGETS,
      met: { event_loop_lag_p99: lag.p99 <= TARGETS.event_loop_lag_p99_ms },
    };
  } finally {
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
