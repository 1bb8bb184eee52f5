/**
 * Where the first text that is not well-formed Unicode sits in a posted event: the path a 400 names.
 * The check walks every event posted, so it builds no path until it has found one; these cases hold
 * the path it then gives.
 */
import t from 'tap';
import { illFormedTextAt } from '../../events/text.js';

const lone = 'x\ud800';

t.test('well-formed text, however nested, gives no path', async (t) => {
  t.equal(illFormedTextAt({ data: { lines: [{ note: 'ok', n: 1 }], tags: ['a', 'é', '😀'] }, id: null }), undefined);
  t.equal(illFormedTextAt('plain'), undefined);
  t.equal(illFormedTextAt([]), undefined);
  t.equal(illFormedTextAt(42), undefined);
});

t.test('the path of the first ill-formed string or key, in the order the event is read', async (t) => {
  t.equal(illFormedTextAt(lone), '');
  t.equal(illFormedTextAt({ data: { lines: [{ note: 'ok' }, { note: lone }] } }), 'data.lines[1].note');
  t.equal(illFormedTextAt({ data: { [lone]: 1 } }), `data.${lone}`);
  t.equal(illFormedTextAt([['a', lone]]), '[0][1]');
  t.equal(illFormedTextAt({ a: lone, b: { c: lone } }), 'a', 'the first one found, not the deepest');
  t.equal(illFormedTextAt({ source: { document: lone } }, 'event'), 'event.source.document', 'below the path given');
});
