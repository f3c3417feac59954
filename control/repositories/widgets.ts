/** Website widget instances as stored (migration 0015); what they mean is in control/widget/. */
import { randomBytes } from 'node:crypto';
import { bool, num, parseJson, type Queryable } from '../db/rows.ts';
import { CrudTable } from './crud-table.ts';

export const WIDGET_LANGUAGES = ['auto', 'ru', 'en'] as const;
export type WidgetLanguage = (typeof WIDGET_LANGUAGES)[number];
export const WIDGET_POSITIONS = ['bottom-right', 'bottom-left'] as const;
export type WidgetPosition = (typeof WIDGET_POSITIONS)[number];

export interface WidgetColors {
  /** The launcher button, the send button and the visitor's own bubbles. */
  primary: string;
  /** Text on `primary`. */
  primary_text: string;
  /** The panel. */
  background: string;
  /** Text on the panel (the assistant's bubbles). */
  text: string;
}

export const DEFAULT_WIDGET_COLORS: WidgetColors = { primary: '#2563eb', primary_text: '#ffffff', background: '#ffffff', text: '#111827' };
export const DEFAULT_SESSION_MESSAGES_PER_MIN = 10;
export const DEFAULT_IP_MESSAGES_PER_MIN = 30;

export interface WidgetInstance {
  id: number;
  public_id: string;
  name: string;
  enabled: boolean;
  allowed_origins: string[];
  persona_id: number | null;
  greeting: string | null;
  language: WidgetLanguage;
  colors: WidgetColors;
  position: WidgetPosition;
  voice_enabled: boolean;
  session_messages_per_min: number;
  ip_messages_per_min: number;
  created_at: string;
  updated_at: string;
}

export type WidgetInput = Omit<WidgetInstance, 'id' | 'public_id' | 'created_at' | 'updated_at'>;

/** 128 random bits: a public id cannot be guessed, so an instance is found only by those given its snippet. */
export const newWidgetPublicId = (): string => 'wg_' + randomBytes(16).toString('base64url');

export class WidgetsRepo extends CrudTable<WidgetInstance, WidgetInput & { public_id: string }> {
  constructor(db: Queryable) {
    super(db, {
      table: 'widget_instances',
      fromRow: (r) => ({
        id: num(r.id),
        public_id: String(r.public_id),
        name: String(r.name),
        enabled: bool(r.enabled),
        allowed_origins: parseJson<string[]>(r.allowed_origins, []),
        persona_id: r.persona_id === null || r.persona_id === undefined ? null : num(r.persona_id),
        greeting: (r.greeting as string | null) ?? null,
        language: (WIDGET_LANGUAGES as readonly string[]).includes(String(r.language)) ? (r.language as WidgetLanguage) : 'auto',
        colors: { ...DEFAULT_WIDGET_COLORS, ...parseJson<Partial<WidgetColors>>(r.colors, {}) },
        position: r.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
        voice_enabled: bool(r.voice_enabled),
        session_messages_per_min: num(r.session_messages_per_min),
        ip_messages_per_min: num(r.ip_messages_per_min),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
      }),
      toRow: (i) => ({
        ...i,
        allowed_origins: i.allowed_origins === undefined ? undefined : JSON.stringify(i.allowed_origins),
        colors: i.colors === undefined ? undefined : JSON.stringify(i.colors),
      }),
    });
  }

  async byPublicId(publicId: string): Promise<WidgetInstance | undefined> {
    const r = await this.db('widget_instances').where({ public_id: publicId }).first();
    return r ? this.m.fromRow(r) : undefined;
  }
}
