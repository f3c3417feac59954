/**
 * Reply playout in the audio thread: 16 kHz PCM16 frames from the page go into a small ring
 * buffer and come out at the context's rate (linear interpolation upwards). The server paces reply
 * audio at real time, so the buffer only absorbs network jitter: playback starts once
 * START_SAMPLES are queued, and anything beyond MAX_SAMPLES is dropped (a stalled tab must not
 * play seconds late). `{type:'clear'}` drops everything queued at once: the caller barged in and
 * the rest of the reply must not be heard.
 *
 * Reports to the page every ~100 ms: frames (20 ms) played since the call began, queued depth, clears.
 */
/// <reference path="./worklet-scope.d.ts" />
import { FRAME_SAMPLES, VOICE_RATE } from './protocol-rate.ts';

const MAX_SAMPLES = VOICE_RATE * 2;
/** 60 ms: three frames of jitter before the first sample is heard. */
const START_SAMPLES = FRAME_SAMPLES * 3;

class PlayoutProcessor extends AudioWorkletProcessor {
  private readonly ring = new Float32Array(MAX_SAMPLES);
  private read = 0;
  private queued = 0;
  private playing = false;
  /** Input (16 kHz) samples per output sample. */
  private readonly step = VOICE_RATE / sampleRate;
  private frac = 0;
  private played = 0;
  private clears = 0;
  private sinceReport = 0;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<ArrayBuffer | { type: 'clear' }>) => {
      if (e.data instanceof ArrayBuffer) this.push(new Int16Array(e.data));
      else if (e.data.type === 'clear') {
        this.queued = 0;
        this.playing = false;
        this.clears++;
        this.report();
      }
    };
  }

  private push(pcm: Int16Array): void {
    for (let i = 0; i < pcm.length; i++) {
      if (this.queued === MAX_SAMPLES) {
        // Full: drop the oldest sample so what is heard stays close to now.
        this.read = (this.read + 1) % MAX_SAMPLES;
        this.queued--;
      }
      this.ring[(this.read + this.queued) % MAX_SAMPLES] = pcm[i] / 32768;
      this.queued++;
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0][0];
    if (!this.playing && this.queued >= START_SAMPLES) this.playing = true;
    for (let k = 0; k < out.length; k++) {
      // Two samples are needed to interpolate; with fewer the buffer has run dry.
      if (!this.playing || this.queued < 2) {
        out[k] = 0;
        this.playing = false;
        continue;
      }
      const a = this.ring[this.read];
      const b = this.ring[(this.read + 1) % MAX_SAMPLES];
      out[k] = a + (b - a) * this.frac;
      this.frac += this.step;
      while (this.frac >= 1) {
        this.frac -= 1;
        this.read = (this.read + 1) % MAX_SAMPLES;
        this.queued--;
        this.played++;
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 10) this.report();
    return true;
  }

  private report(): void {
    this.sinceReport = 0;
    this.port.postMessage({ framesPlayed: Math.floor(this.played / FRAME_SAMPLES), queuedMs: Math.round((this.queued / VOICE_RATE) * 1000), clears: this.clears });
  }
}

registerProcessor('vg-playout', PlayoutProcessor);
