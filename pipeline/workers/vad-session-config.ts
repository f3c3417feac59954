/** What a Silero VAD session is opened with, whichever runtime serves it (batched or sherpa-onnx). */
export interface VadSessionConfig {
  model: string;
  /** 'v5' models read 64 samples of context before each 512-sample window; legacy ones do not. */
  v5: boolean;
  threshold: number;
  minSpeechSec: number;
  minSilenceSec: number;
  maxSpeechSec: number;
  /** 0: no pause events. */
  pauseSec: number;
  /** Onset events (VadOptions.onsets); the sherpa runtime has none. */
  onsets?: boolean;
}
