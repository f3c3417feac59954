import t, { type Test } from 'tap';
import { AudioDecodeError, decodeAudioFile, sniffAudioFormat } from '../../media/audio-file-decode.ts';
import { encodeWav } from '../../media/wav.ts';
import { mp3Of, oggOpusOf, soxConvert } from './audio-files.ts';
import { sine, toneAmplitude } from './signals.ts';

const SECONDS = 1.5;
const tone = (rate: number) => sine(rate, 440, Math.round(rate * SECONDS), 12000);

/** The decoded file is the 440 Hz tone, at 16 kHz, about as long as it was. */
function isTheTone(t: Test, samples: Int16Array, what: string, amplitude = 12000) {
  const mid = [Math.round(samples.length * 0.25), Math.round(samples.length * 0.75)] as const;
  const a440 = toneAmplitude(samples, 16000, 440, ...mid);
  const a1000 = toneAmplitude(samples, 16000, 1000, ...mid);
  t.ok(Math.abs(samples.length / 16000 - SECONDS) < 0.08, `${what}: ${(samples.length / 16000).toFixed(3)} s`);
  t.ok(a440 > amplitude * 0.8 && a440 < amplitude * 1.2, `${what}: 440 Hz at ${a440.toFixed(0)} (sent ${amplitude})`);
  t.ok(a1000 < a440 / 100, `${what}: nothing at 1 kHz (${a1000.toFixed(1)})`);
}

t.test('formats are told by their bytes', async (t) => {
  t.equal(sniffAudioFormat(encodeWav(new Int16Array(10), 8000)), 'wav');
  t.equal(sniffAudioFormat(await mp3Of(tone(16000), 16000)), 'mp3');
  t.equal(sniffAudioFormat(Buffer.from('ID3\x04\x00')), 'mp3');
  t.equal(sniffAudioFormat(soxConvert(tone(16000), 16000, 'flac')), 'flac');
  t.equal(sniffAudioFormat(oggOpusOf(tone(16000), 16000)), 'ogg-opus');
  t.equal(sniffAudioFormat(soxConvert(tone(16000), 16000, 'ogg')), null, 'Ogg Vorbis is not Ogg Opus');
  t.equal(sniffAudioFormat(Buffer.from('hello world')), null);
  t.equal(sniffAudioFormat(new Uint8Array(0)), null);
});

t.test('MP3, FLAC, Ogg Opus and WAV decode to the same tone at 16 kHz mono', async (t) => {
  const opts = { sampleRate: 16000, maxSeconds: 10 };
  const mp3 = await decodeAudioFile(await mp3Of(tone(44100), 44100, true), opts);
  t.match(mp3, { format: 'mp3', sourceRate: 44100, channels: 2, sampleRate: 16000 });
  isTheTone(t, mp3.samples, 'mp3 44.1 kHz stereo', 3000); // (L + (-L/2)) / 2 = L/4: a real average, not one channel
  const mono = await decodeAudioFile(await mp3Of(tone(24000), 24000), opts);
  isTheTone(t, mono.samples, 'mp3 24 kHz mono');

  const flac = await decodeAudioFile(soxConvert(tone(48000), 48000, 'flac'), opts);
  t.match(flac, { format: 'flac', sourceRate: 48000, channels: 1 });
  isTheTone(t, flac.samples, 'flac 48 kHz');
  const flac8 = await decodeAudioFile(soxConvert(tone(8000), 8000, 'flac'), opts);
  isTheTone(t, flac8.samples, 'flac 8 kHz');
  const silence = await decodeAudioFile(soxConvert(new Int16Array(9000), 8000, 'flac'), opts);
  t.ok(silence.samples.length >= 18000 && silence.samples.length < 18200, `a silent last frame (a few bytes) is not lost: ${silence.samples.length}`);

  const opus = await decodeAudioFile(oggOpusOf(tone(16000), 16000), opts);
  t.match(opus, { format: 'ogg-opus', sourceRate: 48000 });
  isTheTone(t, opus.samples, 'ogg opus');

  const wav = await decodeAudioFile(encodeWav(tone(22050), 22050), opts);
  t.match(wav, { format: 'wav', sourceRate: 22050 });
  isTheTone(t, wav.samples, 'wav 22.05 kHz');
});

t.test('what cannot or should not be decoded gets a coded error', async (t) => {
  const opts = { sampleRate: 16000, maxSeconds: 10 };
  const code = async (bytes: Uint8Array, o = opts) => {
    try {
      await decodeAudioFile(bytes, o);
      return 'decoded';
    } catch (err) {
      t.type(err, AudioDecodeError);
      return `${(err as AudioDecodeError).code}: ${(err as Error).message}`;
    }
  };
  t.match(await code(soxConvert(tone(16000), 16000, 'ogg')), /^unsupported_audio: an Ogg file that is not Opus/);
  t.match(await code(Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A ')])), /^unsupported_audio: an MP4\/M4A file/);
  t.match(await code(Buffer.from('just text')), /^unsupported_audio: not an audio file we recognise; send wav, mp3, flac, ogg-opus/);
  t.match(await code(Buffer.from('ID3 but nothing after it')), /^unsupported_audio: the mp3 file holds no audio/);
  t.match(await code(Buffer.from('RIFF\x00\x00\x00\x00WAVEjunk')), /^unsupported_audio: not a readable WAV file/);
  const long = { sampleRate: 16000, maxSeconds: 1 };
  t.match(await code(await mp3Of(tone(16000), 16000), long), /^audio_too_long: the audio is longer than 1 s/);
  t.match(await code(soxConvert(tone(16000), 16000, 'flac'), long), /^audio_too_long/);
  t.match(await code(encodeWav(tone(16000), 16000), long), /^audio_too_long/);
  // A truncated file decodes what is there: an upload cut short still has words in it.
  const mp3 = await mp3Of(tone(16000), 16000);
  const half = await decodeAudioFile(mp3.subarray(0, mp3.length >> 1), opts);
  t.ok(half.samples.length > 16000 * 0.6 && half.samples.length < 16000 * 0.9, `half an mp3: ${(half.samples.length / 16000).toFixed(2)} s`);
});
