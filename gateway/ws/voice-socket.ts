/**
 * What a voice connection needs from a WebSocket, whatever library provides it. The uWS endpoint
 * implements it for production; the `ws` baseline in bench/ implements it for comparison, so both
 * run the very same per-call code.
 */
export interface VoiceSocket {
  /** Queue a binary message, copying it (the caller reuses `data`); returns false when the library dropped it. */
  sendBinary(data: Uint8Array): boolean;
  sendText(text: string): boolean;
  /** Bytes accepted but not yet written to the network. */
  bufferedAmount(): number;
  /** Close with a close frame. */
  end(code: number, reason: string): void;
  /** Batch several sends into one write where the library supports it. */
  cork(fn: () => void): void;
}
