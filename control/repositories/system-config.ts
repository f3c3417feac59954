/** Key/value settings edited in the admin UI; values are JSON. Which keys exist is decided in settings/config-keys.ts. */
import { nowIso, parseJson, type Queryable } from '../db/rows.ts';

export interface ConfigEntry {
  key: string;
  value: unknown;
  updated_at: string;
  updated_by: number | null;
}

export class SystemConfigRepo {
  constructor(private readonly db: Queryable) {}

  async all(): Promise<ConfigEntry[]> {
    return (await this.db('system_config').orderBy('key')).map((r) => ({
      key: String(r.key),
      value: parseJson<unknown>(r.value, null),
      updated_at: String(r.updated_at),
      updated_by: r.updated_by === null || r.updated_by === undefined ? null : Number(r.updated_by),
    }));
  }

  async get<T>(key: string): Promise<T | undefined> {
    const r = await this.db('system_config').where({ key }).first('value');
    return r ? parseJson<T | undefined>(r.value, undefined) : undefined;
  }

  async set(key: string, value: unknown, updatedBy: number | null): Promise<void> {
    await this.db('system_config')
      .insert({ key, value: JSON.stringify(value), updated_at: nowIso(), updated_by: updatedBy })
      .onConflict('key')
      .merge();
  }

  async remove(key: string): Promise<boolean> {
    return (await this.db('system_config').where({ key }).delete()) > 0;
  }
}
