/**
 * One tick object kept for good (src/tick-shape.ts), so that full collections at idle moments do not
 * clear the tick objects' shapes, and `process.nextTick`'s inline caches stay on one shape. The
 * check runs in a child process, which can collect at will (`--expose-gc`) and ask V8 whether two
 * objects share a shape (`--allow-natives-syntax`).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const module = fileURLToPath(new URL('../../src/tick-shape.ts', import.meta.url));

// The caller drops what keepTickShape resolves with (as main.ts does); only a WeakRef follows it.
const script = `
import { executionAsyncResource } from 'node:async_hooks';
import { keepTickShape } from ${JSON.stringify(module)};
const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const followed = new WeakRef(await keepTickShape());
for (let i = 0; i < 5; i++) {
  // An idle moment: the tick queue is empty, no tick object is alive but the kept one.
  await new Promise((resolve) => setTimeout(resolve, 5));
  globalThis.gc();
}
const fresh = await new Promise((resolve) => process.nextTick(() => resolve(executionAsyncResource())));
const kept = followed.deref();
console.log(JSON.stringify({
  keptAlive: kept !== undefined,
  keys: kept === undefined ? [] : Reflect.ownKeys(kept).map(String),
  again: kept !== undefined && (await keepTickShape()) === kept,
  sameShape: kept !== undefined && sameShape(kept, fresh),
}));
`;

t.test('the kept tick object outlives idle full collections, and later tick objects share its shape', async (t) => {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
    keptAlive: boolean;
    keys: string[];
    again: boolean;
    sameShape: boolean;
  };
  t.ok(result.keptAlive, 'kept by the module, though the caller dropped it');
  t.ok(result.keys.includes('callback') && result.keys.includes('args'), `a tick object (${result.keys.join(', ')})`);
  t.ok(result.again, 'asked again, the same object: one is kept, not one a call');
  t.ok(result.sameShape, 'a tick object made after the collections has the kept shape');
});
