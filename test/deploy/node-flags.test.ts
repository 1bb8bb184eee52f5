/**
 * The service runs with the same environment and node flags however it is started: `npm start` (and
 * the bench, which reads them from there) and the Dockerfile. They decide its memory and how long a
 * restart takes (README, Operations).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parseStartScript, serviceLaunch } from '../../bench/lib/node-flags.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

/** The runtime stage's `ENV` settings (the last stage's, continuation lines joined). */
function dockerEnv(text: string): Record<string, string> {
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, body = ''] of runtime.replace(/\\\n/g, ' ').matchAll(/^ENV (.*)$/gm))
    for (const [, name = '', value = ''] of body.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[name] = value;
  return env;
}

t.test('the Dockerfile runs the compiled service with the flags npm start uses', async (t) => {
  const { flags } = serviceLaunch(root);
  t.ok(flags.includes('--expose-gc'), 'a full collection after catching up needs --expose-gc');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.ok(cmd, 'the Dockerfile has an exec-form CMD');
  t.same(JSON.parse(cmd![1]!), ['node', ...flags, 'dist/src/main.js']);
});

t.test('the Dockerfile sets the environment npm start sets', async (t) => {
  const { env } = serviceLaunch(root);
  const tunables = env.GLIBC_TUNABLES?.split(':') ?? [];
  t.ok(tunables.includes('glibc.malloc.hugetlb=1'), 'large pages for malloc: a restart faults in far fewer pages');
  t.ok(
    tunables.includes('glibc.malloc.mmap_threshold=1048576'),
    "a fixed mmap threshold: what a first start's catch-up frees goes back to the kernel",
  );
  const image = dockerEnv(dockerfile);
  for (const [name, value] of Object.entries(env)) t.equal(image[name], value, `${name} in the runtime image`);
});

t.test('a start script is taken apart exactly, or refused rather than misread', async (t) => {
  t.same(parseStartScript('A=1 B_2=x=y node --expose-gc --max-old-space-size=4096 --import tsx src/main.ts'), {
    env: { A: '1', B_2: 'x=y' },
    flags: ['--expose-gc', '--max-old-space-size=4096'],
  });
  t.same(parseStartScript('node --import tsx src/main.ts'), { env: {}, flags: [] });
  for (const script of [
    'tsx src/main.ts',
    'node src/main.ts',
    'cd x && node --import tsx src/main.ts',
    'lower=1 node --import tsx a.ts',
  ])
    t.throws(() => parseStartScript(script), /npm start is not/, script);
});

t.test("the Dockerfile's environment is read from its runtime stage", async (t) => {
  t.same(dockerEnv('FROM a\nENV A=1\nFROM b\nENV B=2 \\\n    C=3\n'), { B: '2', C: '3' });
});
