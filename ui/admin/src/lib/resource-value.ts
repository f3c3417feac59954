/**
 * A resource's value, or undefined while it has failed. Solid throws a failed resource's error
 * from every read; a view that shows that error in words (ErrorBox) reads the value
 * through this instead, so the failure does not escape and stop the rest of the page updating.
 */
import type { Resource } from 'solid-js';

export const valueOf = <T>(r: Resource<T>): T | undefined => (r.error === undefined ? r() : undefined);
