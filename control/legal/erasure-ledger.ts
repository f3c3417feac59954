/**
 * The erasure ledger: who was erased, when and by whom. A GDPR erasure deletes a person's rows, but
 * a backup made before it still holds them, and restoring that backup would bring the person back.
 * So each erasure is written here, in the same transaction as the erasure itself, and every restore
 * erases every person in the ledger again before it commits. This is the minimum needed to honour
 * an erasure that backups cannot forget: a suppression list of identifiers.
 *
 * The identifier must stay usable (it is what finds the person's rows in a restored backup), so it
 * is stored encrypted with the field cipher, never in plaintext; an HMAC keyed with a subkey of the
 * master secret sits beside it, to look a person up without decrypting every entry and without
 * making the column a dictionary-attackable hash of phone numbers. The table is kept out of backups
 * and out of a restore's table replacement, so no restore can shrink it.
 */
import { createHmac } from 'node:crypto';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { nowIso, type Queryable } from '../db/rows.ts';
import { HttpError } from '../http/errors.ts';
import type { Principal } from '../http/route.ts';
import { eraseSubjectRows } from './subject-data.ts';

const SUBJECT_CONTEXT = 'erasure_ledger.subject';

export interface ErasureEntry {
  id: number;
  erased_at: string;
  erased_by_type: string;
  erased_by_id: string | null;
  erased_by_name: string | null;
}

export interface ReapplyReport {
  /** People in the ledger, each erased again. */
  erasures: number;
  /** Rows deleted or redacted while doing so (0 when the restored backup no longer held them). */
  rows: number;
}

export class ErasureLedger {
  constructor(
    private readonly db: Queryable,
    private readonly cipher: FieldCipher,
    private readonly hmacKey: Buffer,
  ) {}

  private hmac(subject: string): string {
    return createHmac('sha256', this.hmacKey).update(subject, 'utf8').digest('hex');
  }

  /** Record an erasure; pass the erasure's transaction so both commit or neither does. */
  async record(q: Queryable, subject: string, by: Principal): Promise<void> {
    await q('erasure_ledger').insert({
      subject_hmac: this.hmac(subject),
      subject_encrypted: this.cipher.encrypt(subject, SUBJECT_CONTEXT),
      erased_at: nowIso(),
      erased_by_type: by.kind,
      erased_by_id: by.kind === 'user' ? String(by.user.id) : by.kind === 'api_key' ? String(by.key.id) : null,
      erased_by_name: by.kind === 'user' ? by.user.username : by.kind === 'api_key' ? by.key.name : null,
    });
  }

  /** The erasures recorded for one person, oldest first (for their access request). */
  async entriesFor(subject: string): Promise<ErasureEntry[]> {
    return this.db('erasure_ledger')
      .where({ subject_hmac: this.hmac(subject) })
      .orderBy('id')
      .select('id', 'erased_at', 'erased_by_type', 'erased_by_id', 'erased_by_name');
  }

  async count(): Promise<number> {
    const r = await this.db('erasure_ledger').countDistinct({ n: 'subject_hmac' }).first();
    return Number(r?.n ?? 0);
  }

  /**
   * Erase every person in the ledger again, inside `trx` (a restore's transaction, so the restored
   * rows never become visible with them in). An entry that no longer decrypts (the secret key
   * changed) fails the whole restore: bringing an erased person back is not an option.
   */
  async reapply(trx: Queryable): Promise<ReapplyReport> {
    const rows: Array<{ subject_hmac: string; subject_encrypted: string }> = await trx('erasure_ledger').select('subject_hmac', 'subject_encrypted').orderBy('id');
    const subjects = new Map<string, string>();
    for (const r of rows) {
      if (subjects.has(r.subject_hmac)) continue;
      try {
        subjects.set(r.subject_hmac, this.cipher.decrypt(r.subject_encrypted, SUBJECT_CONTEXT));
      } catch {
        throw new HttpError(409, 'erasure_ledger_unreadable', 'an entry of the erasure ledger cannot be decrypted with this server\'s secret key, so erased people could come back; nothing was restored');
      }
    }
    let changed = 0;
    for (const subject of subjects.values()) {
      const { deleted, redacted } = await eraseSubjectRows(trx, subject);
      changed += [...Object.values(deleted), ...Object.values(redacted)].reduce((a, b) => a + b, 0);
    }
    return { erasures: subjects.size, rows: changed };
  }
}
