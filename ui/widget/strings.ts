/** The widget's words, in Russian and English: by the instance's setting, or the host page's `lang`. */
export type Lang = 'ru' | 'en';

const en = {
  open: 'Open chat',
  close: 'Close chat',
  title: 'Chat with us',
  greeting: 'Hello! How can I help you?',
  placeholder: 'Type your message…',
  input: 'Your message',
  send: 'Send',
  log: 'Conversation',
  you: 'You',
  assistant: 'Assistant',
  typing: 'Typing…',
  originRefused: 'This chat is not available on this site.',
  disabled: 'This chat is switched off at the moment.',
  notFound: 'This chat does not exist (check the data-widget id).',
  rateLimited: (s: number) => `Too many messages. Please wait ${s} s and try again.`,
  tooLong: (n: number) => `The message is too long (at most ${n} characters).`,
  failed: 'Something went wrong. Please try again.',
  offline: 'Cannot reach the chat. Check your connection and try again.',
  cut: '(the answer was cut short)',
  voiceStart: 'Start a voice call',
  voiceStop: 'End the voice call',
  voiceFailed: 'The voice call could not start (microphone or connection).',
  voiceBusy: 'All voice lines are busy. Please try again in a minute, or write here.',
};

const ru: typeof en = {
  open: 'Открыть чат',
  close: 'Закрыть чат',
  title: 'Напишите нам',
  greeting: 'Здравствуйте! Чем могу помочь?',
  placeholder: 'Введите сообщение…',
  input: 'Ваше сообщение',
  send: 'Отправить',
  log: 'Переписка',
  you: 'Вы',
  assistant: 'Ассистент',
  typing: 'Печатает…',
  originRefused: 'Этот чат недоступен на этом сайте.',
  disabled: 'Чат сейчас отключён.',
  notFound: 'Такого чата нет (проверьте data-widget).',
  rateLimited: (s: number) => `Слишком много сообщений. Подождите ${s} с и попробуйте снова.`,
  tooLong: (n: number) => `Сообщение слишком длинное (не больше ${n} символов).`,
  failed: 'Что-то пошло не так. Попробуйте ещё раз.',
  offline: 'Нет связи с чатом. Проверьте подключение и попробуйте снова.',
  cut: '(ответ прервался)',
  voiceStart: 'Начать голосовой звонок',
  voiceStop: 'Завершить голосовой звонок',
  voiceFailed: 'Голосовой звонок не удалось начать (микрофон или связь).',
  voiceBusy: 'Все голосовые линии заняты. Попробуйте через минуту или напишите здесь.',
};

export type Strings = typeof en;

export const STRINGS: Record<Lang, Strings> = { en, ru };

/** `ru` or `en` as the instance says; `auto`: the page's `lang` (`ru`, `ru-RU` -> ru), English otherwise. */
export function pickLanguage(setting: string | undefined, pageLang: string): Lang {
  if (setting === 'ru' || setting === 'en') return setting;
  return /^ru\b/i.test(pageLang.trim()) ? 'ru' : 'en';
}
