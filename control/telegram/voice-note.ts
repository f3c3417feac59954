/**
 * Voice notes both ways. In: the file a voice message names (getFile, then a download from the
 * Bot API's file endpoint), refused past a size limit while it is read, so a large file is never
 * held whole. Out: a reply synthesised by the TTS service as 48 kHz PCM and written as Ogg Opus
 * (media/ogg-opus-writer.ts through the speech encoder), the format Telegram plays as a voice note.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Api } from 'grammy';
import { speechEncoder } from '../tts/speech-formats.ts';
import type { TtsService, VoiceSettings } from '../tts/tts-service.ts';

/** The Bot API hands bots files up to 20 MB. */
export const MAX_VOICE_BYTES = 20 * 1024 * 1024;
/** A download that takes longer has stalled: the chat's later messages must not wait on it forever. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

export class VoiceNoteTooLarge extends Error {
  override name = 'VoiceNoteTooLarge';
}

/** A path getFile returned: plain segments only (it goes into a URL we request). */
const FILE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}(\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}){0,4}$/;

export async function downloadVoiceNote(api: Api, apiRoot: string, token: string, fileId: string, signal: AbortSignal, maxBytes = MAX_VOICE_BYTES): Promise<Buffer> {
  const file = await api.getFile(fileId, signal as Parameters<Api['getFile']>[1]);
  if (file.file_size !== undefined && file.file_size > maxBytes) throw new VoiceNoteTooLarge(`${file.file_size} bytes`);
  if (!file.file_path || !FILE_PATH.test(file.file_path) || file.file_path.includes('..')) throw new Error('the Bot API returned no usable file path');
  const limited = AbortSignal.any([signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]);
  let res: Response;
  try {
    res = await fetch(`${apiRoot}/file/bot${token}/${file.file_path}`, { signal: limited });
  } catch (err) {
    if (signal.aborted) throw err;
    // Never fetch's own error: its message may quote the URL, token included.
    const cause = (err as { cause?: { code?: unknown } }).cause;
    throw new Error(`the file download failed (${limited.aborted ? 'timeout' : typeof cause?.code === 'string' ? cause.code : 'network'})`);
  }
  if (!res.ok || !res.body) throw new Error(`the file download answered ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel();
    throw new VoiceNoteTooLarge(`${declared} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > maxBytes) throw new VoiceNoteTooLarge(`over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The text spoken as an Ogg Opus voice note; the encoding yields to the event loop between slices (live calls keep their 20 ms). */
export async function synthesizeVoiceNote(tts: TtsService, text: string, voice: VoiceSettings, signal: AbortSignal): Promise<Buffer> {
  const enc = await speechEncoder('opus');
  const parts: Uint8Array[] = [enc.start()];
  const slice = enc.sliceSamples ?? 4800;
  try {
    for await (const pcm of tts.stream({ ...voice, text, sampleRate: enc.sampleRate, signal })) {
      for (let at = 0; at < pcm.length; at += slice) {
        parts.push(enc.encode(pcm.subarray(at, at + slice)));
        await yieldToLoop();
      }
    }
    parts.push(enc.end());
  } finally {
    enc.close();
  }
  return Buffer.concat(parts);
}
