/** A VAD whose events a test fires by hand, at exact samples (the port is small enough to fake). */
import type { VadEvent, VadPort } from '../../../pipeline/turn/ports.ts';

export class ManualVad implements VadPort {
  private listener: (e: VadEvent) => void = () => {};
  push() {}
  onEvent(l: (e: VadEvent) => void) {
    this.listener = l;
  }
  onError() {}
  close() {}
  fire(e: VadEvent) {
    this.listener(e);
  }
}
