/**
 * The owner's inbox as the MessageStore every channel hands taken messages to (voice calls through
 * the call log, text chats directly), and the journal op that puts them into the database.
 *
 * A message must never be lost, so it goes through the write-ahead journal (control/journal/)
 * like the call log: `save` resolves only once the entry is on disk or in the database, which is
 * when the secretary may tell the caller it was recorded; otherwise it throws, and the caller is
 * told it could not be saved. The id is made here, when the message is taken, and travels in the
 * entry, so a replay after a crash lands on the same row.
 *
 * Applying the entry inserts the message and, in the same transaction, one outbox row per enabled
 * notification channel that wants its kind: a message in the database is always queued for
 * delivery, and never twice. Once that transaction commits, `onQueued` wakes the delivery worker.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MessageStore, TakenMessage } from '../../pipeline/dialogue/message-store.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { OpHandler } from '../journal/database-applier.ts';
import type { Journal } from '../journal/journal.ts';
import { MessagesRepo, type NewMessage } from '../repositories/messages.ts';
import { NotificationChannelsRepo } from '../repositories/notification-channels.ts';
import { NotificationOutboxRepo } from '../repositories/notification-outbox.ts';
import { newMessage } from './message-record.ts';

const OP = 'message.taken';

/** The message could not be made durable in time (journal and database both failing), or the journal is closed. */
export class MessageNotSavedError extends Error {
  override name = 'MessageNotSavedError';
}

export interface MessageInboxOptions {
  /** How long a message may take to become safe (journal or database) before the caller hears it failed. */
  saveMs?: number;
}

export class MessageInbox implements MessageStore {
  constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly opts: MessageInboxOptions = {},
  ) {}

  /** MessageStore: resolves once the message can no longer be lost; throws MessageNotSavedError otherwise. */
  async save(m: TakenMessage): Promise<void> {
    await this.take(m);
  }

  /** As `save`, resolving with the message's id. */
  async take(m: TakenMessage): Promise<string> {
    const row = newMessage(m, randomUUID());
    let seq: number;
    try {
      seq = this.journal.append(OP, `message:${row.id}`, row);
    } catch (err) {
      this.log.error({ err, message_id: row.id, call_id: row.call_id }, 'a taken message could not be journaled');
      throw new MessageNotSavedError('the message could not be stored');
    }
    if (!(await this.journal.whenSaved(seq, this.opts.saveMs ?? 4000))) {
      this.log.error({ message_id: row.id, call_id: row.call_id }, 'a taken message could not be made durable in time (journal and database both failing); it is kept in memory and retried');
      throw new MessageNotSavedError('the message could not be stored');
    }
    this.log.info({ message_id: row.id, kind: row.kind, channel: row.channel, call_id: row.call_id, session_id: row.session_id }, 'message taken');
    return row.id;
  }
}

/** The database side: insert the message once, and queue it for the channels that want it. */
export function messageJournalHandlers(cipher: FieldCipher, onQueued: () => void): Array<[string, OpHandler]> {
  return [
    [
      OP,
      async (trx, d: NewMessage) => {
        if (!(await new MessagesRepo(trx).insertOnce(d))) return;
        const channels = await new NotificationChannelsRepo(trx, cipher).listEnabledFor(d.kind);
        if (!(await new NotificationOutboxRepo(trx).enqueue(d.id, channels))) return;
        // After the commit, not now: a worker woken inside the transaction would find nothing yet.
        trx.executionPromise.then(onQueued, () => {});
      },
    ],
  ];
}
