/**
 * The espeak-ng spawner: a small helper process that starts espeak-ng for the gateway (see
 * espeak-spawner.ts for why). Plain JavaScript on purpose: it must start fast and stay small, since
 * its own size is what each fork copies, and it needs nothing but node:child_process.
 *
 * In (stdin), one JSON object per line:
 *   {"op":"synth","id":N,"command":"espeak-ng","args":[...],"text":"...","spare":true}
 *       (spare: start a replacement spare for these arguments)
 *   {"op":"kill","id":N}
 *   {"op":"prepare","command":"espeak-ng","args":[...]}   start a spare for these now
 * Spares are kept for the KEEP most recently used argument lists (voice and speed).
 * Out (stdout), binary frames: type u8 (1 audio bytes, 2 exit, 3 ready), id u32le, length u32le,
 *   payload. The exit payload is JSON {"code","signal","error","stderr"}; ready (id 0, empty) is
 *   sent once at start-up.
 * When stdin closes (the gateway exited), every process is killed and this one exits.
 */
import { spawn } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';

// The gateway's engine niceness (engine-nice.ts): this process lowers itself by that much, as
// `nice -n` would, before it starts any espeak-ng, and each one it forks inherits it.
const nice = Number(process.env.VOICE_ENGINE_NICE ?? 0);
if (Number.isInteger(nice) && nice > 0) {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // not permitted here: espeak-ng runs at the gateway's priority
  }
}

const running = new Map();
const spares = new Map();
const KEEP = 4;

function frame(type, id, payload) {
  const head = Buffer.allocUnsafe(9);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(payload.length, 5);
  process.stdout.write(head);
  if (payload.length) process.stdout.write(payload);
}

function start(command, args) {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stdin.on('error', () => {}); // EPIPE when it died early; its exit says why
  proc.spawnError = null;
  proc.on('error', (err) => (proc.spawnError = err));
  return proc;
}

function dropSpare(key, proc) {
  if (spares.get(key) === proc) spares.delete(key);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

function startSpare(key, command, args) {
  const spare = start(command, args);
  spare.on('exit', () => dropSpare(key, spare));
  spare.on('error', () => dropSpare(key, spare));
  spares.set(key, spare);
  for (const [k, p] of spares) {
    if (spares.size <= KEEP) break;
    dropSpare(k, p); // least recently used first
  }
}

function synth({ id, command, args, text, spare }) {
  const key = JSON.stringify([command, args]);
  let proc = spares.get(key);
  spares.delete(key);
  if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.spawnError) proc = start(command, args);
  if (spare) startSpare(key, command, args);
  running.set(id, proc);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  proc.stdout.on('data', (d) => frame(1, id, d));
  proc.on('close', (code, signal) => {
    running.delete(id);
    frame(2, id, Buffer.from(JSON.stringify({ code, signal, error: proc.spawnError?.message ?? null, stderr: stderr.trim() })));
  });
  proc.stdin.end(text);
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
  let nl;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl);
    input = input.slice(nl + 1);
    if (!line) continue;
    const msg = JSON.parse(line);
    if (msg.op === 'synth') synth(msg);
    else if (msg.op === 'kill') running.get(msg.id)?.kill('SIGKILL');
    else if (msg.op === 'prepare') {
      const key = JSON.stringify([msg.command, msg.args]);
      if (!spares.has(key)) startSpare(key, msg.command, msg.args);
    }

  }
});
process.stdin.on('end', () => {
  const all = [...running.values(), ...spares.values()].filter((p) => p.exitCode === null && p.signalCode === null);
  // Wait until they are reaped (bounded), so none is left behind as a zombie of ours.
  let left = all.length;
  const done = () => process.exit(0);
  if (left === 0) return done();
  for (const p of all) {
    p.once('exit', () => --left === 0 && done());
    p.kill('SIGKILL');
  }
  setTimeout(done, 1000).unref();
});
process.stdout.on('error', () => process.exit(0)); // the gateway is gone
frame(3, 0, Buffer.alloc(0));
