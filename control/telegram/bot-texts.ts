/**
 * What a Telegram bot says on its own (commands, refusals, failures), in the persona's language:
 * English and Russian, the two the shipped personas speak. Answers to questions come from the
 * conversation core, never from here.
 */
import { shippedLanguage } from '../../pipeline/dialogue/persona.ts';

export interface BotTexts {
  help: string;
  reset: string;
  notAllowed: string;
  unsupported: string;
  voiceTooLong(maxS: number): string;
  voiceTooBig: string;
  voiceNotUnderstood: string;
  voiceFailed(errorId: string): string;
  failed(errorId: string): string;
  cutShort(errorId: string | undefined): string;
  usageLimit: string;
  tooFast(waitS: number): string;
}

const EN: BotTexts = {
  help: 'Write your question as a message, or send a voice message. I can answer questions and take a message for the team.\n\n/start – greeting\n/reset – start a new conversation\n/help – this help',
  reset: 'Started a new conversation. What can I do for you?',
  notAllowed: 'Sorry, this bot only answers people it has been set up for.',
  unsupported: 'Sorry, I can read text and voice messages only.',
  voiceTooLong: (maxS) => `Sorry, that voice message is too long for me (at most ${Math.round(maxS / 60)} min). Could you send a shorter one, or type it?`,
  voiceTooBig: 'Sorry, that voice message is too large for me. Could you send a shorter one, or type it?',
  voiceNotUnderstood: 'Sorry, I could not make out any words in that voice message. Could you say it again, or type it?',
  voiceFailed: (id) => `Sorry, I could not listen to that voice message (error id ${id}). Could you type it?`,
  failed: (id) => `Sorry, something went wrong on our side (error id ${id}). Please try again in a moment.`,
  cutShort: (id) => `\n\n[The answer was cut short${id ? ` (error id ${id})` : ''}.]`,
  usageLimit: 'Sorry, this bot has answered as many messages as it may for now. Please try again later.',
  tooFast: (s) => `You are writing faster than I can answer. Please wait ${s} s, then send your message again.`,
};

const RU: BotTexts = {
  help: 'Напишите вопрос сообщением или отправьте голосовое. Я отвечу на вопросы и передам сообщение команде.\n\n/start – приветствие\n/reset – начать разговор заново\n/help – эта справка',
  reset: 'Начали новый разговор. Чем могу помочь?',
  notAllowed: 'Извините, этот бот отвечает только тем, для кого он настроен.',
  unsupported: 'Извините, я понимаю только текстовые и голосовые сообщения.',
  voiceTooLong: (maxS) => `Извините, это голосовое сообщение слишком длинное (не больше ${Math.round(maxS / 60)} мин). Отправьте покороче или напишите текстом.`,
  voiceTooBig: 'Извините, это голосовое сообщение слишком большое. Отправьте покороче или напишите текстом.',
  voiceNotUnderstood: 'Извините, не удалось разобрать слова в голосовом сообщении. Повторите, пожалуйста, или напишите текстом.',
  voiceFailed: (id) => `Извините, не удалось прослушать голосовое сообщение (код ошибки ${id}). Напишите, пожалуйста, текстом.`,
  failed: (id) => `Извините, у нас что-то пошло не так (код ошибки ${id}). Попробуйте ещё раз чуть позже.`,
  cutShort: (id) => `\n\n[Ответ оборвался${id ? ` (код ошибки ${id})` : ''}.]`,
  usageLimit: 'Извините, бот исчерпал лимит сообщений на сейчас. Попробуйте позже.',
  tooFast: (s) => `Вы пишете быстрее, чем я успеваю отвечать. Подождите ${s} с и отправьте сообщение снова.`,
};

export function botTexts(language: string | null | undefined): BotTexts {
  return shippedLanguage(language) === 'ru' ? RU : EN;
}
