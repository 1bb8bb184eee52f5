/**
 * The README's tour, run as a user runs it: every fenced block marked `sh tour`, in the order of
 * the file, in one bash session, against a fresh ledger started by `npm start` itself (no
 * keys configured: the development keys it prints are the ones pasted into the tour). Under each
 * command, every `# →` line must be a line of what the command printed, in that order; `…` stands
 * for anything, and runs of spaces do not count. Every command must also exit 0.
 *
 * The only edits to the README's text: the three `'mssk_…'` placeholders become the printed keys,
 * and `localhost:3000` the test's port. Both are checked to have happened.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePort, ROOT, startWithNpm, waitReady } from '../support/service-process.js';

export interface TourStep {
  /** The shell code of the step: everything up to its expected lines. */
  code: string;
  /** The `# →` lines under it, without the marker. */
  expected: string[];
}

const EXPECTED = /^\s*# → ?(.*)$/;

/** The steps of every ```sh tour block, in document order. */
export function tourSteps(markdown: string): TourStep[] {
  const steps: TourStep[] = [];
  for (const block of markdown.matchAll(/^```sh tour\n([\s\S]*?)^```$/gm)) {
    let code: string[] = [];
    let expected: string[] = [];
    const close = () => {
      if (code.some((l) => l.trim() !== '' && !l.trim().startsWith('#')))
        steps.push({ code: code.join('\n'), expected });
      code = [];
      expected = [];
    };
    for (const line of block[1]!.split('\n')) {
      const arrow = EXPECTED.exec(line);
      if (arrow) expected.push(arrow[1]!);
      else {
        // A command after expected lines starts the next step.
        if (expected.length > 0) close();
        code.push(line);
      }
    }
    close();
  }
  return steps;
}

const squash = (line: string) => line.replace(/\r/g, '').replace(/\s+/g, ' ').trim();

/** An expected line as a pattern: `…` is anything, the rest literal, spaces squashed. */
export function linePattern(expected: string): RegExp {
  const literal = squash(expected)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${literal}$`);
}

/** The expected lines not found, in order, among the output's lines. */
export function missingLines(output: string, expected: string[]): string[] {
  const lines = output.split('\n').map(squash);
  let from = 0;
  const missing: string[] = [];
  for (const want of expected) {
    const pattern = linePattern(want);
    const at = lines.findIndex((line, index) => index >= from && pattern.test(line));
    if (at < 0) missing.push(want);
    else from = at + 1;
  }
  return missing;
}

t.test('the tour reader: steps, patterns, order', async (t) => {
  const steps = tourSteps(
    [
      '```sh tour',
      'A=1',
      '# a comment',
      'echo "$A"',
      '# → 1',
      'echo x  y',
      '# → x …',
      '```',
      '```sh',
      'no',
      '```',
    ].join('\n'),
  );
  t.same(steps, [
    { code: 'A=1\n# a comment\necho "$A"', expected: ['1'] },
    { code: 'echo x  y', expected: ['x …'] },
  ]);
  t.same(
    missingLines('HTTP/1.1 201 Created\r\netag: "39"\r\n{"a":1,"b":2}', ['HTTP/1.1 201 Created', '{"a":1,…}']),
    [],
  );
  t.same(missingLines('b\na', ['a', 'b']), ['b'], 'order counts');
  t.same(missingLines('a  b   c', ['a b c']), [], 'runs of spaces do not count');
  t.same(missingLines('{"x":10}', ['{"x":1}']), ['{"x":1}'], 'a line matches whole, not in part');
  t.same(missingLines('a.c', ['a.c']), []);
  t.same(missingLines('abc', ['a.c']), ['a.c'], 'a dot is a dot');
});

const missingTools = ['bash', 'curl', 'jq'].filter((tool) => spawnSync('which', [tool]).status !== 0);

t.test(
  'the README tour, run against a fresh ledger, prints what it says',
  { skip: missingTools.length > 0 ? `the tour needs ${missingTools.join(', ')}: not installed, skipped` : false },
  async (t) => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const steps = tourSteps(readme);
    const stated = steps.reduce((n, s) => n + s.expected.length, 0);
    t.ok(steps.length >= 20 && stated >= 40, `the tour has ${steps.length} steps and ${stated} stated lines`);

    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-tour-'));
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-tour-scratch-'));
    const port = await freePort();
    // `npm start` itself (it builds, then runs the compiled service): development, no keys configured, seeded on first start.
    const service = startWithNpm({
      DATA_DIR: dataDir,
      PORT: String(port),
      NODE_ENV: 'development',
      API_KEYS: '',
      API_KEYS_FILE: '',
      SIGNING_KEY_FILE: '',
      EVENTSTORE_CONNECTION_STRING: '',
    });
    // One teardown, in this order: a service stopped after its folder is gone writes its
    // checkpoints into a new one, and every run of the suite would leave that behind.
    t.teardown(async () => {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });
    // The first start builds dist/ first (a few seconds, longer beside other tests).
    await waitReady(port, service.child, 200, 2400);
    const keys = Object.fromEntries(
      [...service.output().matchAll(/^\s+(recorder|auditor|viewer)\s+(mssk_\S+)/gm)].map((m) => [m[1]!, m[2]!]),
    );
    t.same(Object.keys(keys).sort(), ['auditor', 'recorder', 'viewer'], 'the service printed a key per role');

    let placeholders = 0;
    let ports = 0;
    const script = [
      'exec 2>&1',
      ...steps.map((step, index) => {
        const code = step.code
          .replace(/\b(VIEWER|RECORDER|AUDITOR)='mssk_…'/g, (_, role: string) => {
            placeholders++;
            return `${role}='${keys[role.toLowerCase()]}'`;
          })
          .replace(/localhost:3000\b/g, () => {
            ports++;
            return `localhost:${port}`;
          });
        return `${code}\nprintf '\\n@@tour-step ${index} %s@@\\n' "$?"`;
      }),
    ].join('\n');
    t.equal(placeholders, 3, "the three keys are pasted where the tour says 'mssk_…'");
    t.ok(ports > 20, `the tour's ${ports} URLs point at the test's ledger`);

    const run = await new Promise<{ output: string; code: number | null }>((resolve) => {
      const child = spawn('bash', ['-c', script], {
        cwd: ROOT,
        // A user's shell: the ledger's DATA_DIR for `npm run`, nothing configured; mktemp -d lands in the test's own directory.
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          TMPDIR: scratch,
          NODE_ENV: 'development',
          EVENTSTORE_CONNECTION_STRING: '',
          API_KEYS: '',
          API_KEYS_FILE: '',
          SIGNING_KEY_FILE: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve({ output, code }));
    });
    t.equal(run.code, 0, 'the tour ran to its end');

    const outputs = new Map<number, { status: number; text: string }>();
    let start = 0;
    for (const marker of run.output.matchAll(/\n@@tour-step (\d+) (\d+)@@\n/g)) {
      outputs.set(Number(marker[1]), { status: Number(marker[2]), text: run.output.slice(start, marker.index) });
      start = marker.index + marker[0].length;
    }
    for (const [index, step] of steps.entries()) {
      const name = step.code.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'))!;
      const ran = outputs.get(index);
      if (!ran) {
        t.fail(`step ${index} never ran: ${name}`);
        continue;
      }
      t.equal(ran.status, 0, `${name}: exit 0`);
      const missing = missingLines(ran.text, step.expected);
      t.same(missing, [], `${name}: prints ${step.expected.length} stated line(s)`, {
        output: ran.text,
        code: step.code,
      });
    }
  },
);
