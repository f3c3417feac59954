import t from 'tap';
import { FaqMatcher } from '../../pipeline/dialogue/faq-matcher.ts';
import { defaultFaq } from '../../pipeline/dialogue/persona.ts';
import { classifyYesNo } from '../../pipeline/dialogue/yes-no.ts';
import { extractPhoneNumber, speakableNumber } from '../../pipeline/dialogue/phone-number.ts';
import { stem, contentStems } from '../../pipeline/dialogue/normalize.ts';

const en = new FaqMatcher(defaultFaq('en'));
const ru = new FaqMatcher(defaultFaq('ru'));
const id = (m: FaqMatcher, text: string) => m.match(text)?.entry.id ?? null;

t.test('exact and paraphrased questions, English', async (t) => {
  t.equal(id(en, 'What are your opening hours?'), 'opening-hours');
  t.equal(id(en, 'when are you open'), 'opening-hours');
  t.equal(id(en, 'Hi, um, I wanted to ask what time you close today'), 'opening-hours');
  t.equal(id(en, 'what is your address'), 'address');
  t.equal(id(en, 'where are you located'), 'address');
  t.equal(id(en, 'I would like to leave a message'), 'leave-message');
});

t.test('robust to STT errors', async (t) => {
  t.equal(id(en, 'what are your opening ours'), 'opening-hours', 'hours -> ours');
  t.equal(id(en, 'what are you opening hour'), 'opening-hours');
  t.equal(id(en, 'where is your offices'), 'address');
  t.equal(id(en, 'what is you adress'), 'address', 'misspelt keyword');
  t.equal(id(en, 'can you take a massage'), 'leave-message', 'message -> massage');
});

t.test('Russian, with inflections and STT errors', async (t) => {
  t.equal(id(ru, 'Какие у вас часы работы?'), 'opening-hours');
  t.equal(id(ru, 'подскажите до скольки вы сегодня работаете'), 'opening-hours');
  t.equal(id(ru, 'скажите ваш адрес пожалуйста'), 'address');
  t.equal(id(ru, 'где находится ваш офис'), 'address');
  t.equal(id(ru, 'какой у вас адрис'), 'address', 'misspelt');
  t.equal(id(ru, 'я хочу оставить сообщение'), 'leave-message');
});

t.test('unrelated text does not match', async (t) => {
  t.equal(id(en, 'The weather is nice today'), null);
  t.equal(id(en, 'my name is John Smith'), null);
  t.equal(id(en, ''), null);
  t.equal(id(ru, 'погода сегодня хорошая'), null);
  t.equal(id(en, 'um'), null);
});

t.test('rank orders by score and exposes phrases', async (t) => {
  const ranked = en.rank('what are your opening hours');
  t.equal(ranked[0].entry.id, 'opening-hours');
  t.ok(ranked[0].score > 0.9);
  t.ok(en.phrases().includes('What are your opening hours?'));
});

t.test('stemming makes inflections meet', async (t) => {
  t.equal(stem('hours'), stem('hour'));
  t.equal(stem('работаете'), stem('работает'));
  t.same(contentStems('What are your hours?'), ['hour']);
});

t.test('yes/no in English and Russian', async (t) => {
  for (const y of ['yes', 'Yeah, that is right', 'yep', 'correct', 'да', 'Да, всё верно', 'даа', 'конечно']) t.equal(classifyYesNo(y), 'yes', y);
  for (const n of ['no', 'No, that is wrong', 'nope', 'нет', 'Нет, неправильно', 'not right']) t.equal(classifyYesNo(n), 'no', n);
  for (const x of ['', 'maybe', 'hmm', 'как сказать']) t.equal(classifyYesNo(x), null, x);
});

t.test('phone numbers from words and digits', async (t) => {
  t.equal(extractPhoneNumber('five five five one two three four'), '5551234');
  t.equal(extractPhoneNumber('my number is 555 12 34'), '5551234');
  t.equal(extractPhoneNumber('double five, oh, one'), '5501');
  t.equal(extractPhoneNumber('плюс семь девять один шесть'), '+7916');
  t.equal(extractPhoneNumber('no idea'), '');
  t.equal(speakableNumber('+79161234567'), 'plus 7 9 1, 6 1 2, 3 4 5, 6 7');
});
