/**
 * Calls on the modem: decides who is answered (call policy), answers after N rings, opens the PCM
 * channel once the call is up (AT+CPCMREG=1 after VOICE CALL: BEGIN), bridges the call to a
 * pipeline, forwards DTMF, hangs up with AT+CHUP (ATH is ignored with CVHU=1), dials out, and
 * writes one call-log record with an end reason for every call, answered or not. With a record
 * directory, both directions of an answered call are written as WAV files at its end and announced
 * with a 'recording' event (before the call's 'record'), for the gateway to register them; a
 * `shouldRecord` predicate (the control plane's setting and the caller's consent) can veto that per call.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { concatInt16 } from '../../media/pcm.ts';
import { encodeWav } from '../../media/wav.ts';
import { writeFileAtomic } from '../../runtime/durable-files.ts';
import { ensurePrivateDirAsync, PRIVATE_FILE_MODE } from '../../runtime/private-files.ts';
import { EventEmitter } from 'node:events';
import type { PipelineFactory } from '../../pipeline/call-pipeline.ts';
import type { Urc } from './at/urc.ts';
import { ModemAudioPort } from './audio-port.ts';
import { decideIncoming, type CallPolicy } from './call-policy.ts';
import type { Modem } from './modem.ts';
import { ModemCall } from './modem-call.ts';
import { openSerialLink, type SerialLink } from './serial-link.ts';

export interface ModemCallRecord {
  callId: string;
  direction: 'in' | 'out';
  number: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  /** 'remote_hangup', 'dialogue_finished', 'hangup_requested', 'rejected_blocked', 'missed', 'busy', 'audio_failed', ... */
  reason: string;
  persona?: string;
}

/** The WAV files of one answered call, written when it ended; `error` says why a side (or all) is missing. */
export interface ModemRecording {
  callId: string;
  files: Array<{ path: string; side: 'caller' | 'reply'; durationMs: number }>;
  error?: string;
}

/** What `shouldRecord` is told about a call: the other party's number (null when withheld). */
export interface RecordingQuery {
  callId: string;
  direction: 'in' | 'out';
  number: string | null;
}

/** A call's recording (or one side of it) could not be written. */
export class CallRecordingError extends Error {
  override name = 'CallRecordingError';
  constructor(
    readonly callId: string,
    what: string,
    cause: unknown,
  ) {
    super(`recording of call ${callId} failed: ${what}`, { cause });
  }
}

export type CallManagerEvents = {
  call: [ModemCall];
  recording: [ModemRecording];
  record: [ModemCallRecord];
  error: [Error];
};

export interface CallManagerOptions {
  pipelineFactory: PipelineFactory;
  policy?: CallPolicy;
  /** Open the audio port (default: the modem's discovered audio path). */
  openAudio?: (path: string) => Promise<SerialLink>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** No caller audio at all this long after AT+CPCMREG=1 means a dead channel (default 2000 ms). */
  audioSilentMs?: number;
  /** 16 kHz line audio (AT+CPCMFRM=1 before each AT+CPCMREG=1); default 8 kHz. */
  wideband?: boolean;
  /** Write both directions of every answered call as WAV files here (<callId>.caller.wav / .reply.wav). */
  recordDir?: string;
  /**
   * With recordDir: asked once per answered call, before its PCM channel opens, whether to record
   * it. Without it every answered call is recorded (the standalone `npm run modem:call`). A
   * rejection, or no answer within `recordDecisionMs`, means "do not record" and is reported as an
   * 'error': a recording nobody agreed to is the worse failure, and the call goes on either way.
   */
  shouldRecord?: (call: RecordingQuery) => Promise<boolean>;
  /** How long shouldRecord may take (default 500 ms): the answered caller hears silence meanwhile. */
  recordDecisionMs?: number;
  /**
   * Asked for every incoming call, once its caller id is known: the policy to apply instead of
   * `policy` (the admin's stored choices), or null to keep `policy`. Personas per number always come
   * from `policy`. A rejection, or no answer within `policyDecisionMs`, keeps `policy` and is
   * reported as an 'error': the line goes on working as the environment says.
   */
  livePolicy?: () => Promise<CallPolicy | null>;
  /** How long livePolicy may take (default 500 ms): the phone keeps ringing meanwhile. */
  policyDecisionMs?: number;
}

interface Pending {
  callId: string;
  direction: 'in' | 'out';
  number: string | null;
  rings: number;
  decided: boolean;
  answer: boolean;
  answering: boolean;
  /** From the policy the call was decided by. */
  answerAfterRings: number;
  persona?: string;
  startedAt: Date;
  answeredAt: Date | null;
  call: ModemCall | null;
  audio: SerialLink | null;
  ending: boolean;
  /** Set when we hang up: the modem's own end-of-call report then carries our reason, not "remote". */
  localHangup: string | null;
  /** The teardown, once started: resolves after the call record is written. */
  finished: Promise<void> | null;
}

export class ModemCallManager extends EventEmitter<CallManagerEvents> {
  private current: Pending | null = null;
  /** The teardown of the last call that began ending (resolved when none is in progress). */
  private settling: Promise<void> = Promise.resolve();
  private readonly policy: CallPolicy;
  private readonly log: NonNullable<CallManagerOptions['log']>;
  readonly records: ModemCallRecord[] = [];

  constructor(
    private readonly modem: Modem,
    private readonly opts: CallManagerOptions,
  ) {
    super();
    this.policy = opts.policy ?? {};
    this.log = opts.log ?? (() => {});
    modem.on('urc', this.urcListener);
    modem.on('lost', this.lostListener);
  }

  private readonly urcListener = (u: Urc) => void this.onUrc(u).catch((err: Error) => this.reportError(err));
  private readonly lostListener = (reason: string) => void this.finish(`modem_lost: ${reason}`);

  /** An 'error' event only when someone listens: a failure in the background must not crash the process. */
  private reportError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log('modem call handling failed', { err: err.message });
  }

  /** Hang up any call (recorded with `reason`) and stop listening to the modem. */
  async close(reason = 'shutdown'): Promise<void> {
    this.modem.off('urc', this.urcListener);
    this.modem.off('lost', this.lostListener);
    await this.hangup(reason);
  }

  get active(): ModemCall | null {
    return this.current?.call ?? null;
  }

  /** The call in progress (ringing, dialling or talking), for status pages; null when idle. */
  get inProgress(): { callId: string; direction: 'in' | 'out'; number: string | null; state: 'ringing' | 'dialing' | 'connecting' | 'active' | 'ending' } | null {
    const p = this.current;
    if (!p) return null;
    // 'connecting': answered, while the recording decision and the audio channel are still opening;
    // 'active' only once the call's pipeline runs (and it is counted in voice_active_calls).
    const state = p.ending ? 'ending' : p.call ? 'active' : p.answeredAt ? 'connecting' : p.direction === 'out' ? 'dialing' : 'ringing';
    return { callId: p.callId, direction: p.direction, number: p.number, state };
  }

  /** Hang up the current call (AT+CHUP: ATH is ignored while CVHU=1). */
  async hangup(reason = 'hangup_requested'): Promise<void> {
    const p = this.current;
    if (!p) return this.settling; // a call already ending: wait for its record
    p.localHangup ??= reason;
    await this.modem.send('AT+CHUP').catch(() => {});
    await this.finish(p.localHangup, p);
  }

  /** DTMF toward the far end (AT+VTS), e.g. to navigate another company's voice menu. */
  async sendDtmf(digits: string): Promise<void> {
    if (!/^[0-9*#A-D]+$/.test(digits)) throw new Error(`not DTMF digits: ${digits}`);
    if (!this.current?.answeredAt) throw new Error('no call in progress');
    for (const d of digits) await this.modem.send(`AT+VTS=${d}`);
  }

  /** Call out; the pipeline starts when the far end answers (VOICE CALL: BEGIN). */
  async dial(number: string): Promise<string> {
    if (!/^\+?[0-9*#]{3,20}$/.test(number)) throw new Error(`not a dialable number: ${number}`);
    if (this.current) throw new Error('a call is already in progress');
    const p = this.newPending('out', number);
    p.decided = p.answer = true;
    this.current = p;
    try {
      await this.modem.send(`ATD${number};`);
    } catch (err) {
      this.current = null;
      this.record(p, `dial_failed: ${(err as Error).message}`);
      throw err;
    }
    return p.callId;
  }

  private newPending(direction: 'in' | 'out', number: string | null): Pending {
    return { callId: randomUUID(), direction, number, rings: 0, decided: false, answer: false, answering: false, answerAfterRings: 1, startedAt: new Date(), answeredAt: null, call: null, audio: null, ending: false, localHangup: null, finished: null };
  }

  private async onUrc(u: Urc): Promise<void> {
    switch (u.type) {
      case 'ring':
      case 'cring': {
        const p = (this.current ??= this.newPending('in', null));
        if (p.direction !== 'in' || p.answeredAt) return;
        p.rings++;
        // No caller id by the second ring: it is not coming (withheld number).
        if (!p.decided && p.rings >= 2) await this.decide(p);
        await this.maybeAnswer(p);
        return;
      }
      case 'clip': {
        const p = (this.current ??= this.newPending('in', null));
        if (p.direction !== 'in') return;
        p.number = u.number || null;
        if (!p.decided) await this.decide(p);
        await this.maybeAnswer(p);
        return;
      }
      case 'voice_call_begin':
        if (this.current) await this.connectAudio(this.current);
        return;
      case 'voice_call_end':
      case 'no_carrier':
        await this.finish(this.current?.localHangup ?? (this.current?.answeredAt ? 'remote_hangup' : 'no_carrier'));
        return;
      case 'busy':
      case 'no_answer':
        await this.finish(u.type);
        return;
      case 'missed_call':
        if (this.current && !this.current.answeredAt) await this.finish('missed');
        return;
      case 'rxdtmf':
        this.current?.call?.pipeline.control({ type: 'dtmf', digits: u.digit });
        return;
    }
  }

  private async decide(p: Pending): Promise<void> {
    p.decided = true;
    const policy = await this.policyFor(p);
    if (p.ending) return; // the caller gave up while we asked
    p.answerAfterRings = policy.autoAnswerAfterRings ?? 1;
    const d = decideIncoming(policy, p.number);
    if (d.action === 'answer') {
      p.answer = true;
      p.persona = d.persona;
      return;
    }
    this.log('incoming call rejected', { number: p.number, reason: d.reason });
    if (d.hangup) await this.hangup(`rejected_${d.reason}`);
  }

  private async maybeAnswer(p: Pending): Promise<void> {
    if (!p.answer || p.answering || p.ending || p.rings < p.answerAfterRings) return;
    p.answering = true;
    await this.modem.send('ATA');
  }

  private async connectAudio(p: Pending): Promise<void> {
    // answeredAt marks a connect in progress: a repeated VOICE CALL: BEGIN must not open a second channel.
    if (p.call || p.ending || p.answeredAt) return;
    p.answeredAt = new Date();
    // Decided before AT+CPCMREG=1, so not one frame of a call we may not keep is ever buffered.
    const record = await this.decideRecording(p);
    if (p.ending) return; // hung up while we asked: the teardown has run, no channel to open
    const audioPath = this.modem.ports?.audio;
    try {
      if (!audioPath) throw new Error('no audio port known');
      // CPCMFRM only takes effect for the next CPCMREG=1, so it is sent before each one.
      await this.modem.send(`AT+CPCMFRM=${this.opts.wideband ? 1 : 0}`);
      await this.modem.send('AT+CPCMREG=1');
      p.audio = await (this.opts.openAudio ?? openSerialLink)(audioPath);
    } catch (err) {
      this.log('audio channel failed', { err: (err as Error).message });
      if (!p.ending) await this.hangup('audio_failed');
      return;
    }
    if (p.ending) {
      // The call ended (remote hang-up, modem lost) while the channel was opening: its teardown has
      // already run without an audio port to close, so close it here rather than leak it.
      await p.audio.close().catch(() => {});
      await this.modem.send('AT+CPCMREG=0').catch(() => {});
      return;
    }
    const port = new ModemAudioPort(p.audio, { sampleRate: this.opts.wideband ? 16000 : 8000 });
    const info = { callId: p.callId, channel: 'modem', callerNumber: p.number ?? undefined, persona: p.persona };
    const call = new ModemCall(info, port, this.opts.pipelineFactory, undefined, { record });
    p.call = call;
    call.on('hangup', (reason) => void this.hangupAfterPlayout(p, reason));
    this.emit('call', call);
    call.start();
    // A degraded audio channel answers AT+CPCMREG=1 with OK and then sends nothing: only AT+CRESET
    // brings it back. Without a byte of caller audio (line noise included) in time, end and reset.
    const check = setTimeout(() => {
      if (p.ending || port.bytesIn > 0) return;
      this.log('audio channel silent after AT+CPCMREG=1; resetting the module', { callId: p.callId });
      void this.hangup('audio_silent').then(() => this.modem.reset('audio channel silent'));
    }, this.opts.audioSilentMs ?? 2000);
    check.unref();
  }

  /** The environment's policy, or the live one when it answers in time. */
  private async policyFor(p: Pending): Promise<CallPolicy> {
    const ask = this.opts.livePolicy;
    if (!ask) return this.policy;
    const live = await this.askInTime(ask, this.opts.policyDecisionMs ?? 500, (why) => `call policy for call ${p.callId} ${why}: deciding by the environment's`);
    if (!live || live === 'failed') return this.policy;
    return { ...live, personaByNumber: this.policy.personaByNumber, defaultPersona: this.policy.defaultPersona };
  }

  /** Record this call? Only with a record directory; then the predicate's answer in time, or yes without one. */
  private async decideRecording(p: Pending): Promise<boolean> {
    if (this.opts.recordDir === undefined) return false;
    const ask = this.opts.shouldRecord;
    if (!ask) return true;
    const query = { callId: p.callId, direction: p.direction, number: p.number };
    const answer = await this.askInTime(() => ask(query), this.opts.recordDecisionMs ?? 500, (why) => `recording decision for call ${p.callId} ${why}: not recording`);
    if (answer === 'failed') return false;
    this.log(answer === true ? 'recording the call' : 'not recording the call', { callId: p.callId });
    return answer === true; // only a real yes: a truthy non-boolean is a bug, not consent
  }

  /**
   * `ask`'s answer, or 'failed' (reported as an 'error' in `message`'s words) when it rejects or
   * takes longer than `ms`: a decision the call waits on must not hold it up for long.
   */
  private async askInTime<T>(ask: () => Promise<T>, ms: number, message: (why: string) => string): Promise<T | 'failed'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ late: true }>((resolve) => (timer = setTimeout(() => resolve({ late: true }), ms)));
    try {
      // then(): a function that throws synchronously is a rejection like any other. The race keeps a
      // handler on its promise, so one that rejects after the deadline is not unhandled.
      const asked = Promise.resolve().then(ask).then((value) => ({ value }));
      const answer = await Promise.race([asked, late]);
      if ('late' in answer) {
        this.reportError(new Error(message(`took over ${ms} ms`)));
        return 'failed';
      }
      return answer.value;
    } catch (err) {
      this.reportError(new Error(`${message('failed')} (${(err as Error).message})`, { cause: err }));
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The pipeline said goodbye (the dialogue finished, the caller stayed silent, the time limit):
   * let the modem play out its last frames, then hang up. The call ends for that reason even if
   * the caller hangs up meanwhile.
   */
  private async hangupAfterPlayout(p: Pending, reason: string): Promise<void> {
    p.localHangup ??= reason;
    await new Promise((r) => setTimeout(r, 60));
    await this.hangup(reason);
  }

  /** Ends the current call once; every caller (URC, hangup(), loss) waits for the same record. */
  private finish(reason: string, p: Pending | null = this.current): Promise<void> {
    if (!p) return Promise.resolve();
    if (!p.finished) this.settling = p.finished = this.teardown(p, reason);
    return p.finished;
  }

  private async teardown(p: Pending, reason: string): Promise<void> {
    p.ending = true;
    if (this.current === p) this.current = null;
    try {
      if (p.call) {
        await p.call.end(reason).catch((err: Error) => this.reportError(err));
        await this.modem.send('AT+CPCMREG=0').catch(() => {});
        if (p.call.recording && this.opts.recordDir) {
          const saved = await this.saveRecording(p.call).catch((err: Error) => void this.reportError(err));
          if (saved) this.announce(saved);
        }
      }
      await p.audio?.close().catch(() => {});
    } finally {
      // Whatever failed above, the call is over and must be in the log.
      this.record(p, reason);
    }
  }

  /**
   * Both sides as WAV files (mode 0600), each written under a temporary name and renamed when
   * complete: a side that cannot be written (disk full) leaves no file, not a 0-byte or cut one,
   * and the reason goes with the announcement (the call log keeps it on the call).
   */
  private async saveRecording(call: ModemCall): Promise<ModemRecording> {
    const { callId } = call.info;
    const rate = this.opts.wideband ? 16000 : 8000;
    const files: ModemRecording['files'] = [];
    const errors: string[] = [];
    const fail = (what: string, err: unknown) => {
      // The call's recording_error is read by viewers: the error's code only (ENOSPC), never its
      // text, which names the file's path; the whole error goes to the log (reportError).
      const message = `${what}: ${(err as NodeJS.ErrnoException).code ?? 'failed'}, not written`;
      errors.push(message);
      this.reportError(new CallRecordingError(callId, message, err));
    };
    try {
      await ensurePrivateDirAsync(this.opts.recordDir!);
    } catch (err) {
      fail('recordings directory', err);
      return { callId, files, error: errors.join('; ') };
    }
    const base = path.join(this.opts.recordDir!, callId);
    for (const side of ['caller', 'reply'] as const) {
      const samples = concatInt16(call.recording![side]);
      const file = `${base}.${side}.wav`;
      try {
        // Whole or not at all, even across a power cut; the caller's voice: this user only.
        await writeFileAtomic(file, encodeWav(samples, rate), { mode: PRIVATE_FILE_MODE, purpose: 'recording' });
        files.push({ path: file, side, durationMs: Math.round((samples.length / rate) * 1000) });
      } catch (err) {
        fail(`${side} side`, err);
      }
    }
    return errors.length ? { callId, files, error: errors.join('; ') } : { callId, files };
  }

  /** A listener that throws (or a database behind it) must not break the teardown of the call. */
  private announce(rec: ModemRecording): void {
    try {
      this.emit('recording', rec);
    } catch (err) {
      this.reportError(err as Error);
    }
  }

  private record(p: Pending, reason: string): void {
    const rec: ModemCallRecord = {
      callId: p.callId,
      direction: p.direction,
      number: p.number,
      startedAt: p.startedAt.toISOString(),
      answeredAt: p.answeredAt?.toISOString() ?? null,
      endedAt: new Date().toISOString(),
      reason,
      persona: p.persona,
    };
    this.records.push(rec);
    this.log('call ended', { callId: rec.callId, reason });
    this.emit('record', rec);
  }
}
