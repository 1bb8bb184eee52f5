/**
 * knownAt turns an instant into the last position recorded by then. The
 * recording times are kept as runs; they must answer as the full list of
 * (time, position) would, merged from two shares of a log or not.
 */
import fc from 'fast-check';
import t from 'tap';
import { RecordingTimes } from '../../src/read/recording-times.js';

/** A log's (time, position) pairs: positions grow, times never go back and often repeat (group commits). */
const log = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 })), { maxLength: 300 })
  .map((steps) => {
    let time = 1_000;
    let position = 0;
    return steps.map(([dt, dp]) => ({ time: (time += dt), position: (position += dp) }));
  });

const naive = (entries: { time: number; position: number }[], knownAt: number) =>
  entries.reduce((p, e) => (e.time <= knownAt ? e.position : p), 0);

t.test('runs answer knownAt as every (time, position) would, also merged from two shares', async (t) => {
  fc.assert(
    fc.property(log, fc.array(fc.boolean(), { minLength: 300, maxLength: 300 }), (entries, toWorker) => {
      const whole = new RecordingTimes();
      const main = new RecordingTimes();
      const worker = new RecordingTimes();
      entries.forEach((e, i) => {
        whole.note(e.time, e.position);
        (toWorker[i] ? worker : main).note(e.time, e.position);
      });
      const merged = main.mergedWith(worker.export());
      const restored = RecordingTimes.restore(whole.export());
      for (let knownAt = 990; knownAt <= 1_000 + 3 * 300 + 5; knownAt += 7) {
        const expected = naive(entries, knownAt);
        for (const [name, times] of [
          ['whole', whole],
          ['merged', merged],
          ['restored', restored],
        ] as const)
          if (times.positionKnownAt(knownAt) !== expected)
            throw new Error(`${name} at ${knownAt}: ${times.positionKnownAt(knownAt)} != ${expected}`);
      }
      if (merged.lastPosition !== entries.at(-1)?.position) throw new Error('last position');
    }),
    { numRuns: 300 },
  );
  t.pass('300 random logs');
});

t.test('a group recorded at one instant is one run', async (t) => {
  const times = new RecordingTimes();
  for (let position = 1; position <= 1000; position++) times.note(5_000, position);
  times.note(6_000, 1001);
  t.equal(times.export().times.length, 2);
  t.equal(times.positionKnownAt(5_500), 1000);
  t.equal(times.positionKnownAt(4_999), 0);
});
