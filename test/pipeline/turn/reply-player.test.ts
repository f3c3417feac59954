/**
 * ReplyPlayer's account of what the caller heard: segments map to frames, a barge-in reports every
 * finished sentence plus the played share of the current one, cut at a word.
 */
import t from 'tap';
import { ReplyPlayer } from '../../../pipeline/turn/reply-player.ts';

const frames = (n: number) => new Int16Array(320 * n).fill(1000);

t.test('a sentence the TTS gave no audio for is skipped, not charged with the next sentence\'s frames', async (t) => {
  const player = new ReplyPlayer(320);
  player.beginSegment('First sentence.');
  player.push(frames(2));
  player.endSegment();
  player.beginSegment('Silent one.');
  player.endSegment();
  player.beginSegment('one two three four');
  player.push(frames(2));
  player.endSegment();
  for (let i = 0; i < 3; i++) t.ok(player.next(), `frame ${i + 1}`);
  t.equal(player.clear(), 'First sentence. one two…', 'half of the third sentence was heard, the silent one was not');
});

t.test('takeSpoken resets what counts as heard', async (t) => {
  const player = new ReplyPlayer(320);
  player.beginSegment('Hello.');
  player.push(frames(1));
  player.endSegment();
  t.ok(player.next());
  t.equal(player.takeSpoken(), 'Hello.');
  player.beginSegment('Second reply here.');
  player.push(frames(3));
  player.endSegment();
  t.equal(player.clear(), '', 'nothing of the second reply played yet');
});
