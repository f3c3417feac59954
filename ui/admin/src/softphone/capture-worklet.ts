/**
 * Microphone capture in the audio thread: the context's rate (16 kHz where the browser gives us a
 * 16 kHz context, often 48 kHz otherwise) resampled to 16 kHz by linear interpolation, cut into
 * 20 ms PCM16 frames that are posted (transferred, not copied) to the page, which sends each as one
 * binary message. A browser's microphone is band-limited well below 8 kHz after its own processing,
 * so interpolation without a steeper filter costs nothing a recogniser hears.
 */
/// <reference path="./worklet-scope.d.ts" />
import { FRAME_SAMPLES, VOICE_RATE } from './protocol-rate.ts';

class CaptureProcessor extends AudioWorkletProcessor {
  /** Input samples per output sample. */
  private readonly step = sampleRate / VOICE_RATE;
  /** Position of the next output sample, in input samples, relative to the current block. */
  private pos = 0;
  /** The last input sample of the previous block: interpolation across a block boundary needs it. */
  private last = 0;
  private frame = new Int16Array(FRAME_SAMPLES);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    if (!input) return true;
    const n = input.length;
    while (this.pos < n) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i === 0 ? this.last : input[i - 1];
      const b = input[i];
      // Output sample k sits between input i-1 and i (pos is measured from the previous block's last sample).
      const v = a + (b - a) * frac;
      this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
      if (this.filled === FRAME_SAMPLES) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(FRAME_SAMPLES);
        this.filled = 0;
      }
      this.pos += this.step;
    }
    this.pos -= n;
    this.last = input[n - 1];
    return true;
  }
}

registerProcessor('vg-capture', CaptureProcessor);
