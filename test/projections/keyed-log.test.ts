/** The keyed log keeps each key's records in the order they came, across keys and checkpoints. */
import t from 'tap';
import { KeyedLog } from '../../projections/time-index/keyed-log.js';

t.test("each key's records come back in order, whatever came between them", async (t) => {
  const log = new KeyedLog();
  log.append('s1', [1, 2, 3]);
  log.append('s2', [9]);
  log.append('s1', []);
  log.append('s1', [4, 1e12, -5.5]);
  t.same(log.records('s1'), [[1, 2, 3], [], [4, 1e12, -5.5]]);
  t.same(log.records('s2'), [[9]]);
  t.same(log.records('nope'), []);
  t.same(log.keys(), ['s1', 's2'], 'keys in the order first seen');
  t.ok(log.has('s2') && !log.has('nope'));
});

t.test('a log restored from its export goes on where it stopped', async (t) => {
  const log = new KeyedLog();
  for (let i = 0; i < 3000; i++) log.append(`k${i % 7}`, [i]); // past the first chunk's first growth
  const restored = KeyedLog.from(log.export());
  restored.append('k3', [-1]);
  restored.append('new', [42]);
  const expected = [
    ...Array.from({ length: 3000 }, (_, i) => i)
      .filter((i) => i % 7 === 3)
      .map((i) => [i]),
    [-1],
  ];
  t.same(restored.records('k3'), expected);
  t.same(restored.records('new'), [[42]]);
  t.same(log.records('k3'), expected.slice(0, -1), 'the original is untouched');
  t.equal(restored.size, 8);
});

t.test("a log exported as its columns' own parts restores as one exported whole does", async (t) => {
  // 40,000 keys and 40,000 records of four numbers: every column spans several chunks.
  const build = () => {
    const log = new KeyedLog();
    for (let i = 0; i < 40_000; i++) log.append(`k${i}`, [i, -i, i / 2, 1e12 + i]);
    for (let i = 0; i < 40_000; i += 7) log.append(`k${i}`, [i]);
    return log;
  };
  const log = build();
  const parts = log.export(true);
  t.ok(
    Array.isArray(parts.first) && parts.first.length >= 2 && Array.isArray(parts.data) && parts.data.length >= 8,
    'first, last and data come as several parts each',
  );
  t.same(KeyedLog.from(parts).export(), build().export(), 'the same log as restored from one array per column');
  // The parts are the log's own memory: restored, they go on where the log stopped, and the log
  // itself is not changed by what the restored one appends (the last chunk is copied, not shared).
  const restored = KeyedLog.from(parts);
  restored.append('k7', [-7]);
  restored.append('k39999', [-1]);
  t.same(restored.records('k7'), [[7, -7, 3.5, 1e12 + 7], [7], [-7]]);
  t.same(restored.records('k39999'), [[39999, -39999, 19999.5, 1e12 + 39999], [-1]]);
  t.same(log.records('k39999'), [[39999, -39999, 19999.5, 1e12 + 39999]], 'the original is untouched');
});
