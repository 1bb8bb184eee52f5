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

t.test('the Dockerfile runs the compiled service as npm start runs it, with the same flags', async (t) => {
  const { flags, entry } = serviceLaunch(root);
  t.ok(flags.includes('--expose-gc'), 'a full collection after catching up needs --expose-gc');
  t.ok(
    flags.includes('--max-semi-space-size=16'),
    "Node 20's young generation on Node 26 too, whose default doubles it: 441-456 MB after a first start at 1M events, against 478-514 MB",
  );
  t.equal(entry, 'dist/bundle/main.js', 'npm start runs the compiled service, bundled, as deployed');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.ok(cmd, 'the Dockerfile has an exec-form CMD');
  t.same(JSON.parse(cmd![1]!), ['node', ...flags, entry]);
});

t.test('npm start builds the service before it runs it', async (t) => {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  t.match(scripts.prestart, /^npm run build\b/, 'npm runs prestart before start, on every start');
  t.match(
    scripts.build,
    /tsc -b tsconfig\.build\.json/,
    'build mode: an up-to-date build is known in 0.2 s, not 1.5 s',
  );
  const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { incremental?: boolean };
  };
  t.equal(build.compilerOptions.incremental, true, 'a start after the first rebuilds only what changed');
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
  t.same(parseStartScript('A=1 B_2=x=y node --expose-gc --max-old-space-size=4096 dist/src/main.js'), {
    env: { A: '1', B_2: 'x=y' },
    flags: ['--expose-gc', '--max-old-space-size=4096'],
    entry: 'dist/src/main.js',
  });
  t.same(parseStartScript('node dist/src/main.js'), { env: {}, flags: [], entry: 'dist/src/main.js' });
  for (const script of [
    'tsx src/main.ts',
    'node src/main.ts',
    'node --import tsx src/main.ts',
    'node --expose-gc --import tsx dist/src/main.js',
    'node --expose-gc',
    'node',
    'cd x && node dist/src/main.js',
    'lower=1 node dist/src/main.js',
    'node -r x dist/src/main.js',
  ])
    t.throws(() => parseStartScript(script), /npm start is not/, script);
});

t.test("the Dockerfile's environment is read from its runtime stage", async (t) => {
  t.same(dockerEnv('FROM a\nENV A=1\nFROM b\nENV B=2 \\\n    C=3\n'), { B: '2', C: '3' });
});
