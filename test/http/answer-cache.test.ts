/** The answer cache keeps dashboards' repeated answers, within a bound on the text it holds. */
import t from 'tap';
import { AnswerCache } from '../../src/http/plugins/answers.js';

t.test('an answer asked again is not computed again', async (t) => {
  const cache = new AnswerCache();
  let computed = 0;
  const answer = () => cache.get('7 /v1/inventory', () => ({ n: ++computed }));
  t.equal(answer(), '{"n":1}');
  t.equal(answer(), '{"n":1}');
  t.equal(computed, 1);
});

t.test('the text kept stays within its bound: the oldest answers go first', async (t) => {
  const cache = new AnswerCache(512, 100);
  const big = (n: number) => () => 'x'.repeat(n); // JSON adds the two quotes
  cache.get('a', big(38));
  cache.get('b', big(38));
  t.equal(cache.chars, 80);
  cache.get('c', big(38)); // 120 > 100: 'a' goes
  t.equal(cache.chars, 80);
  let recomputed = false;
  cache.get('a', () => ((recomputed = true), 'x'.repeat(38)));
  t.ok(recomputed, "'a' was evicted and is computed again");
  let kept = true;
  cache.get('c', () => ((kept = false), ''));
  t.ok(kept, "'c', newer, is still kept");
});

t.test('an answer larger than the whole bound is served but not kept', async (t) => {
  const cache = new AnswerCache(512, 10);
  t.equal(cache.get('huge', () => 'y'.repeat(50)).length, 52);
  t.equal(cache.chars, 0);
});

t.test('the count is bounded too', async (t) => {
  const cache = new AnswerCache(2, 1_000);
  for (const key of ['a', 'b', 'c']) cache.get(key, () => key);
  t.equal(cache.chars, 6, 'two answers of three characters');
});
