// Piscina worker for offline sherpa STT: one task = one utterance (stt-offline-decode.ts). Workers
// start without the parent's tsx loader (test runners and `node --import tsx` differ), so tsx is
// registered here before the TypeScript module loads.
import { register } from 'tsx/esm/api';

register();
const { decodeOffline } = await import('./stt-offline-decode.ts');

export default function decode(task) {
  return decodeOffline(task);
}
