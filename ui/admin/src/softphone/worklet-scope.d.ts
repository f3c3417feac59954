/**
 * The few AudioWorkletGlobalScope names our worklets use; TypeScript's DOM library does not
 * describe that scope.
 */
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  abstract process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}
declare function registerProcessor(name: string, ctor: new (options?: { processorOptions?: unknown }) => AudioWorkletProcessor): void;
/** The context's sample rate, as the worklet scope sees it. */
declare const sampleRate: number;
