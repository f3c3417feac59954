// What a model download reports while it runs. The CLI turns these into a progress bar; tests
// assert on them; a future admin UI can forward them over a WebSocket unchanged.
export type FetchEvent =
  | { type: 'start'; url: string; total: number | null; resumedFrom: number }
  | { type: 'progress'; received: number; total: number | null; bytesPerSecond: number; etaSeconds: number | null }
  | { type: 'redirect'; from: string; to: string }
  | { type: 'retry'; attempt: number; error: string; delayMs: number }
  | { type: 'verify'; file: string }
  // The manifest has no sha256 for this entry: here is what we computed, so an operator can pin it.
  | { type: 'unpinned'; sha256: string; sizeBytes: number }
  | { type: 'warning'; message: string }
  | { type: 'extract'; file: string }
  | { type: 'done'; path: string; sha256: string };

export type FetchListener = (event: FetchEvent) => void;
