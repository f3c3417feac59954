import t from 'tap';
import { SentenceSplitter, splitSentences } from '../../pipeline/text/sentence-splitter.ts';

/** Feed text in small deltas like an LLM does; returns every chunk in order. */
function stream(text: string, step = 3, opts = {}): string[] {
  const s = new SentenceSplitter(opts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...s.push(text.slice(i, i + step)));
  out.push(...s.flush());
  return out;
}

const whole = (text: string) => splitSentences(text);

t.test('plain sentences, English and Russian', async (t) => {
  t.same(whole('Hello there. How are you? Fine!'), ['Hello there.', 'How are you?', 'Fine!']);
  t.same(whole('Здравствуйте. Чем могу помочь? Отлично!'), ['Здравствуйте.', 'Чем могу помочь?', 'Отлично!']);
});

t.test('numbers and decimals stay whole', async (t) => {
  t.same(whole('Pi is 3.14 roughly. Next one.'), ['Pi is 3.14 roughly.', 'Next one.']);
  t.same(whole('Стоимость 1,5 тысячи рублей. Спасибо.'), ['Стоимость 1,5 тысячи рублей.', 'Спасибо.']);
  t.same(whole('We opened in 2024. Then we grew.'), ['We opened in 2024.', 'Then we grew.']);
  // streaming: the decimal arrives split across deltas
  t.same(stream('Pi is 3.14 roughly. Next one.', 1, { firstChunkMaxWords: 0, firstChunkMinWords: 99 }), ['Pi is 3.14 roughly.', 'Next one.']);
  t.same(stream('Цена 1,5 рубля за штуку. Всё.', 1, { firstChunkMaxWords: 0, firstChunkMinWords: 2 }), ['Цена 1,5 рубля за штуку.', 'Всё.']);
});

t.test('abbreviations do not end sentences', async (t) => {
  t.same(whole('Ask Mr. Smith or Dr. Jones. They know.'), ['Ask Mr. Smith or Dr. Jones.', 'They know.']);
  t.same(whole('Bring ID, e.g. a passport. Thanks.'), ['Bring ID, e.g. a passport.', 'Thanks.']);
  t.same(whole('Это важно, т.е. обязательно. Приходите.'), ['Это важно, т.е. обязательно.', 'Приходите.']);
  t.same(whole('Мы находимся по адресу г. Москва, ул. Ленина, д. 5. Ждём вас.'), [
    'Мы находимся по адресу г. Москва, ул. Ленина, д. 5.',
    'Ждём вас.',
  ]);
  t.same(whole('Книги, журналы и т.д. Всё есть.'), ['Книги, журналы и т.д.', 'Всё есть.']);
  t.same(whole('Книги, журналы и т.д. в наличии.'), ['Книги, журналы и т.д. в наличии.']);
  t.same(whole('Call J. Smith today. Bye.'), ['Call J. Smith today.', 'Bye.']);
  t.same(whole('We open at 9 a.m. Come early.'), ['We open at 9 a.m.', 'Come early.']);
});

t.test('ellipses', async (t) => {
  t.same(whole('Well... let me think. Yes.'), ['Well... let me think.', 'Yes.']);
  t.same(whole('Hmm… let me check. Done.'), ['Hmm… let me check.', 'Done.']);
  t.same(whole('Wait... Okay then.'), ['Wait...', 'Okay then.']);
});

t.test('quotes stay with their sentence', async (t) => {
  t.same(whole('He said "Stop." Then he left.'), ['He said "Stop."', 'Then he left.']);
  t.same(whole('Она сказала: «Привет!» Потом ушла.'), ['Она сказала: «Привет!»', 'Потом ушла.']);
  t.same(whole('Done. "Next" is coming.'), ['Done.', '"Next" is coming.']);
});

t.test('a full stop waits for what follows; ! and ? do not wait for the next word', async (t) => {
  const s = new SentenceSplitter({ firstChunkMaxWords: 0, firstChunkMinWords: 99 });
  t.same(s.push('We are open.'), []);
  t.same(s.push(' '), []);
  t.same(s.push('T'), ['We are open.']);
  t.same(s.push('hanks! '), []);
  t.same(s.push('B'), ['Thanks!']);
  t.same(s.flush(), ['B']);
});

t.test('first chunk comes early at a comma, later ones are whole sentences', async (t) => {
  const out = stream('Of course, our office is open from nine to six, Monday to Friday. After that, leave a message, please.', 2, { firstChunkMaxWords: 12 });
  t.same(out, ['Of course, our office is open from nine to six,', 'Monday to Friday.', 'After that, leave a message, please.']);
  // too few words before the comma: no early cut at "Yes,"
  t.same(stream('Yes, we are open today until six. Bye.', 2)[0], 'Yes, we are open today until six.');
});

t.test('first chunk after N words when no punctuation comes', async (t) => {
  const out = stream('one two three four five six seven eight nine ten eleven. Next sentence here.', 4, { firstChunkMaxWords: 5 });
  t.same(out, ['one two three four five', 'six seven eight nine ten eleven.', 'Next sentence here.']);
  t.same(stream('a b c d e f g h', 1, { firstChunkMaxWords: 0 }), ['a b c d e f g h']);
});

t.test('early first chunk counts from the start of each reply', async (t) => {
  const s = new SentenceSplitter({ firstChunkMaxWords: 3 });
  t.same(s.push('one two three four '), ['one two three']);
  t.same(s.flush(), ['four']);
  t.same(s.push('five six seven eight '), ['five six seven']);
  s.reset();
  t.same(s.push('a b '), []);
  t.same(s.flush(), ['a b']);
});

t.test('newlines and list markers', async (t) => {
  t.same(whole('Options:\n1. Leave a message\n2. Call back later'), ['Options:', '1. Leave a message', '2. Call back later']);
});

t.test('very long sentences are cut at a comma', async (t) => {
  const long = 'This sentence keeps going and going with many words, ' .repeat(8) + 'and finally ends.';
  const out = whole(long);
  t.ok(out.length > 1, 'cut');
  for (const c of out) t.ok(c.length <= 260, `chunk of ${c.length}`);
  t.equal(out.join(' ').replace(/\s+/g, ' '), long.trim().replace(/\s+/g, ' '), 'nothing lost');
});

t.test('no text is lost or duplicated whatever the delta size', async (t) => {
  const text = 'Здравствуйте! Мы работаем с 9:00 до 18:00, т.е. весь день. Адрес: г. Москва, ул. Ленина, д. 5... Ждём вас! Mr. Smith said "ok." 3.14 is pi, 1,5 is one and a half.';
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  for (const step of [1, 2, 3, 5, 7, 13, 1000]) {
    const out = stream(text, step);
    t.equal(norm(out.join(' ')), norm(text), `step ${step}`);
    t.ok(out.every((c) => c.length > 0 && c === c.trim()), 'chunks trimmed and non-empty');
  }
});

t.test('punctuation-only input produces nothing', async (t) => {
  t.same(whole('... !!'), []);
  t.same(whole(''), []);
});
