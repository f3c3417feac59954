/**
 * `npm run call -- --url ws://127.0.0.1:8002/ws/voice --wav in.wav --codec mulaw --out reply.wav --json`
 *
 * Streams the WAV in real time, then silence, records the reply and prints one JSON object
 * (events, transcripts, reply text, client-side latencies). The token comes from --token,
 * VOICE_WS_TOKEN, or the gateway's DATA_DIR/voice-token file, in that order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CODECS } from './protocol.ts';
import { recordingWav, runCall } from './reference-client.ts';
import { TOKEN_FILE } from './voice-token.ts';
import type { CodecName } from '../../media/codec.ts';

const usage = `usage: npm run call -- --url ws://127.0.0.1:8002/ws/voice [--wav in.wav] [--codec pcm16|mulaw|alaw|opus]
       [--rate 8000] [--text "..."] [--out reply.wav] [--tail-ms 3000] [--max-ms N] [--token T] [--echo] [--json]`;

function fail(message: string): never {
  process.stderr.write(`call: ${message}\n${usage}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string', default: 'ws://127.0.0.1:8002/ws/voice' },
        wav: { type: 'string' },
        codec: { type: 'string', default: 'pcm16' },
        rate: { type: 'string' },
        text: { type: 'string' },
        out: { type: 'string' },
        'tail-ms': { type: 'string', default: '3000' },
        'max-ms': { type: 'string' },
        token: { type: 'string' },
        caller: { type: 'string' },
        echo: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
})();

if (values.help) {
  process.stdout.write(usage + '\n');
  process.exit(0);
}
if (!(CODECS as readonly string[]).includes(values.codec!)) fail(`unknown codec "${values.codec}"`);
const num = (name: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number`);
  return n;
};

function findToken(): string | undefined {
  if (values.token) return values.token;
  if (process.env.VOICE_WS_TOKEN) return process.env.VOICE_WS_TOKEN;
  try {
    return readFileSync(path.join(process.env.DATA_DIR ?? 'data', TOKEN_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

try {
  const report = await runCall({
    url: values.url!,
    token: findToken(),
    wav: values.wav,
    codec: values.codec as CodecName,
    sampleRate: num('rate', values.rate),
    text: values.text,
    caller: values.caller,
    tailMs: num('tail-ms', values['tail-ms']),
    maxMs: num('max-ms', values['max-ms']),
    expectEcho: values.echo,
  });
  if (values.out) writeFileSync(values.out, recordingWav(report));
  const { recording: _omit, ...summary } = report;
  if (values.json) process.stdout.write(JSON.stringify({ ...summary, out: values.out ?? null }) + '\n');
  else {
    process.stdout.write(
      `call ${summary.call_id ?? '-'}: sent ${summary.sent_frames} frames, received ${summary.received_frames} ` +
        `(${summary.received_audio_ms} ms audio); v2v ${summary.latencies.v2v_ms ?? '-'} ms; ` +
        `reply "${summary.reply_text}"; closed ${summary.close?.code ?? '-'} ${summary.close?.reason ?? ''}\n`,
    );
  }
} catch (err) {
  process.stderr.write(`call: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
