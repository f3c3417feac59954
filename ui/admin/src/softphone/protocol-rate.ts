/** The softphone speaks PCM16 at 16 kHz in 20 ms frames: the pipeline's own format (docs/protocol.md). */
export const VOICE_RATE = 16000;
export const FRAME_SAMPLES = 320;
