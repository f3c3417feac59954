/**
 * `npm run call -- --url ws://127.0.0.1:8002/ws/voice --wav in.wav --codec mulaw --out reply.wav --json`
 *
 * Streams the WAV in real time, then silence, records the reply and prints one JSON object
 * (events, transcripts, reply text, client-side latencies). The token comes from --token,
 * VOICE_WS_TOKEN, or the gateway's DATA_DIR/voice-token file, in that order.
 * Exit codes: 0 done, 1 the call failed, 2 bad arguments (runtime/cli-args.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { choiceArg, numberArg, runMain, UsageError } from '../../runtime/cli-args.ts';
import { CODECS } from './protocol.ts';
import { recordingWav, runCall } from './reference-client.ts';
import { TOKEN_FILE } from './voice-token.ts';

const USAGE = `usage: npm run call -- --url ws://127.0.0.1:8002/ws/voice [--wav in.wav] [--codec pcm16|mulaw|alaw|opus]
       [--rate 8000] [--text "..."] [--out reply.wav] [--tail-ms 3000] [--max-ms N] [--token T] [--caller NUMBER] [--echo] [--json]`;

function findToken(given: string | undefined): string | undefined {
  if (given) return given;
  if (process.env.VOICE_WS_TOKEN) return process.env.VOICE_WS_TOKEN;
  try {
    return readFileSync(path.join(process.env.DATA_DIR ?? 'data', TOKEN_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

runMain(
  {
    name: 'call',
    usage: USAGE,
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
    },
  },
  async ({ values }) => {
    if (!/^wss?:\/\/[^/]/.test(values.url!)) throw new UsageError(`--url must be a ws:// or wss:// URL, not "${values.url}"`);
    const options = {
      url: values.url!,
      token: findToken(values.token),
      wav: values.wav,
      codec: choiceArg(values.codec, 'codec', CODECS)!,
      sampleRate: numberArg(values.rate, 'rate', { integer: true, min: 8000, max: 48000 }),
      text: values.text,
      caller: values.caller,
      tailMs: numberArg(values['tail-ms'], 'tail-ms', { min: 0 }),
      maxMs: numberArg(values['max-ms'], 'max-ms', { min: 1 }),
      expectEcho: values.echo,
    };
    const report = await runCall(options);
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
    return 0;
  },
);
