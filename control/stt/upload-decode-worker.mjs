// Piscina worker for upload decoding. Workers start without the parent's tsx loader (test runners
// and `node --import tsx` differ), so tsx is registered here before the TypeScript module loads.
import { register } from 'tsx/esm/api';

register();
const { decodeAudioFile, AudioDecodeError } = await import('../../media/audio-file-decode.ts');

/** Errors cross the thread boundary as plain data: a class and its `code` would not survive. */
export default async function decode({ bytes, sampleRate, maxSeconds }) {
  try {
    const d = await decodeAudioFile(new Uint8Array(bytes), { sampleRate, maxSeconds });
    // Minutes of PCM: handed over in shared memory, so the main thread does not copy it on receipt.
    const samples = new Int16Array(new SharedArrayBuffer(d.samples.byteLength));
    samples.set(d.samples);
    return { ok: true, ...d, samples };
  } catch (err) {
    if (err instanceof AudioDecodeError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
