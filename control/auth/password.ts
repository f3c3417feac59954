/**
 * Password hashing with scrypt (node:crypto), in the PHC string format
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`: salt and cost travel with the hash, so raising the cost
 * later only needs `needsRehash` at the next login. The default is OWASP's minimum for scrypt
 * (N = 2^17, r = 8, p = 1: 128 MiB and roughly half a second of one core per hash). Hashing runs on
 * libuv's thread pool, never on the event loop, one hash at a time (hashing-gate.ts).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { HashingGate, type HashingTicket } from './hashing-gate.ts';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. 17 means N = 131072 (128 MiB of memory per hash with r = 8). */
  ln: number;
  r: number;
  p: number;
}

/** OWASP Password Storage Cheat Sheet: scrypt with N = 2^17, r = 8, p = 1 at least. */
export const OWASP_MIN_PARAMS: ScryptParams = { ln: 17, r: 8, p: 1 };
export const DEFAULT_PARAMS: ScryptParams = OWASP_MIN_PARAMS;
const KEY_LEN = 32;
const SALT_LEN = 16;
export const MIN_PASSWORD_LENGTH = 10;
/** The most memory one stored hash may make us spend (twice the default's), and the most parallelism. */
const MAX_BLOCK_MEMORY = 256 * 1024 * 1024;
const MAX_P = 4;

/**
 * The memory scrypt needs, which is what `maxmem` must allow: OpenSSL checks the p blocks of 128*r
 * bytes plus the (N + 2) * 128 * r bytes of its V array against it. Node's default (32 MiB) is too
 * small for N = 2^17, and a loose cap would let a crafted hash row ask for gigabytes.
 */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * (2 ** params.ln + 2 + params.p);
}

/** Whether a cost is one we are willing to compute (also applied to hashes read from the database). */
function acceptableParams(params: ScryptParams): boolean {
  const { ln, r, p } = params;
  return ln >= 10 && r >= 1 && p >= 1 && p <= MAX_P && 128 * r * 2 ** ln <= MAX_BLOCK_MEMORY;
}

/**
 * One hash at a time; up to 32 more wait, and 8 priority ones (logins from remembered devices) in
 * a room of their own; beyond that HashingBusyError. Shared by the whole process, as the thread
 * pool is.
 */
export const hashingGate = new HashingGate(1, 32, 8);

/** How many recent hashes per cost the typical duration is the median of. */
const DURATION_SAMPLES = 21;
const durations = new Map<string, number[]>();
const costKey = (params: ScryptParams) => `${params.ln},${params.r},${params.p}`;

/** Runs in `ticket`'s place in the gate (default: a fresh one), and notes how long scrypt itself took. */
function derive(password: string, salt: Buffer, params: ScryptParams, ticket: HashingTicket = hashingGate.admit()): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: scryptMemoryBytes(params) };
  return ticket.run(async () => {
    const started = performance.now();
    const key = await new Promise<Buffer>((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LEN, opts, (err, k) => (err ? reject(err) : resolve(k))));
    const recent = durations.get(costKey(params)) ?? [];
    recent.push(performance.now() - started);
    if (recent.length > DURATION_SAMPLES) recent.shift();
    durations.set(costKey(params), recent);
    return key;
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  if (!acceptableParams(params)) throw new RangeError(`scrypt cost ln=${params.ln},r=${params.r},p=${params.p} is outside what this server computes`);
  const salt = randomBytes(SALT_LEN);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Refuse absurd costs read from the database (or a restored backup) rather than let one row exhaust memory.
  if (!acceptableParams(params)) return null;
  return { params, salt: Buffer.from(m[4], 'base64url'), key: Buffer.from(m[5], 'base64url') };
}

/** `ticket`: a place in the gate taken earlier (hashingGate.admit); without one, one is taken now. */
export async function verifyPassword(password: string, stored: string, ticket?: HashingTicket): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) {
    ticket?.release();
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params, ticket);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

export function needsRehash(stored: string, params: ScryptParams = DEFAULT_PARAMS): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}

/**
 * How long a hash at `params` takes on this machine now: the median of the last few computed here
 * (logins, password changes, users created). Logins that need no hash (an unknown name, an attempt
 * held back) wait this long instead, so they look like checks without spending one. Before any
 * hash at this cost was made, one of a random password is made to find out (once, however many ask).
 */
const calibrations = new Map<string, Promise<unknown>>();
export async function typicalHashMs(params: ScryptParams = DEFAULT_PARAMS): Promise<number> {
  const key = costKey(params);
  if (!durations.has(key)) {
    let calibration = calibrations.get(key);
    if (!calibration) {
      calibration = hashPassword(randomBytes(16).toString('hex'), params).finally(() => calibrations.delete(key));
      calibrations.set(key, calibration);
    }
    await calibration;
  }
  const sorted = [...durations.get(key)!].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
