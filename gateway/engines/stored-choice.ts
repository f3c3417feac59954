/**
 * An owner's engine choice as stored in `system_config` (under keys no /admin/config route knows):
 * the choice, a version, when it was made and by whom. The version tells a gateway whether a
 * stored choice is one it has already acted on: another gateway's new choice (or the same choice
 * made again, to retry one that failed here) is tried; a configuration change that left it alone
 * is not.
 */
import { randomUUID } from 'node:crypto';
import { STORED_CHOICE_KEY, type EngineKind } from '../../control/engines/engine-control.ts';
import type { SystemConfigRepo } from '../../control/repositories/system-config.ts';

export interface StoredChoice {
  /** As stored: checked against the choice schema by whoever uses it (a restored backup may hold anything). */
  choice: unknown;
  /** New with every choice made; '' for a row without one (written by hand). */
  version: string;
  set_at: string;
  by: number | null;
}

export interface ChoiceStore {
  get(kind: EngineKind): Promise<StoredChoice | null>;
  set(kind: EngineKind, choice: unknown, by: number | null): Promise<StoredChoice>;
  remove(kind: EngineKind): Promise<void>;
}

export function configChoiceStore(config: SystemConfigRepo): ChoiceStore {
  return {
    async get(kind) {
      const v = await config.get<Partial<StoredChoice>>(STORED_CHOICE_KEY[kind]);
      if (v === undefined || v === null) return null;
      if (typeof v !== 'object') return { choice: v, version: '', set_at: '', by: null };
      const text = (x: unknown) => (typeof x === 'string' ? x : '');
      return { choice: v.choice, version: text(v.version), set_at: text(v.set_at), by: typeof v.by === 'number' ? v.by : null };
    },
    async set(kind, choice, by) {
      const stored: StoredChoice = { choice, version: randomUUID(), set_at: new Date().toISOString(), by };
      await config.set(STORED_CHOICE_KEY[kind], stored, by);
      return stored;
    },
    async remove(kind) {
      await config.remove(STORED_CHOICE_KEY[kind]);
    },
  };
}
