import { Transform } from 'node:stream';
/** The suite's tap reporter (tap-failure-summary.mjs): TAP unchanged, then a summary of the failures. */
export default class TapFailureSummary extends Transform {}
