/**
 * Every operator command (seed, replay, backup, verify, witness) as a person meets it: `--help`
 * prints the usage and exits 0, and a bad argument is refused before anything is read. Each
 * mistake is made with a DATA_DIR that does not exist and input files that do not exist: had
 * the command read anything first, the complaint would be about those, not about the argument.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseBackupArgs } from '../../src/cli/backup.js';
import { parseSeedArgs } from '../../src/cli/seed.js';
import { parseVerifyArgs } from '../../src/cli/verify.js';
import { parseWitnessArgs } from '../../src/cli/witness.js';
import { ROOT } from '../support/service-process.js';

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${command}.ts`, ...args], {
      cwd: ROOT,
      env: { ...process.env, EVENTSTORE_CONNECTION_STRING: '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const root = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-cli-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const missingDir = path.join(root, 'no-such-data-dir');
const missing = (name: string) => path.join(root, 'absent', name);
const env = { DATA_DIR: missingDir };

/** Per command: what its usage must name, and one bad argument with the message that must name it. */
const COMMANDS: { command: string; usage: RegExp; bad: string[]; says: RegExp; exit: number }[] = [
  {
    command: 'seed',
    usage: /Usage:[\s\S]*npm run seed[\s\S]*--synthetic N/,
    bad: ['--synthetic', 'ten'],
    says: /--synthetic "ten": must be a whole number/,
    exit: 2,
  },
  {
    command: 'replay',
    usage: /Usage:[\s\S]*--projection NAME[\s\S]*--format json\|table\|csv/,
    bad: ['--projection', 'timeline', '--to', '2025-02-31'],
    says: /--to "2025-02-31" is not an ISO 8601 date/,
    exit: 2,
  },
  {
    command: 'backup',
    usage: /Usage: npm run backup -- --to FILE/,
    bad: ['--to'],
    says: /--to/,
    exit: 2,
  },
  {
    command: 'verify',
    usage: /Usage:[\s\S]*--export FILE --checkpoint FILE --key FILE[\s\S]*--store[\s\S]*Exit codes/,
    bad: [
      '--export',
      missing('x.ndjson'),
      '--checkpoint',
      missing('c.txt'),
      '--key',
      missing('k.pub'),
      '--projection',
      'stock',
    ],
    says: /--projection "stock": must be one of inventory, personnel, donors/,
    // verify's exit codes are an auditor's contract (docs/verification.md): 1 is usage.
    exit: 1,
  },
  {
    command: 'witness',
    usage: /Usage:[\s\S]*--new-key NAME --key FILE[\s\S]*--ledger URL --state FILE --key FILE/,
    bad: ['--ledger', 'http://127.0.0.1:9', '--state', missing('state'), '--key', missing('w.key'), '--every', '0'],
    says: /--every "0": must be a number of seconds, at least 1/,
    exit: 2,
  },
];

t.test('--help exits 0 with the usage, for every command', async (t) => {
  const answers = await Promise.all(COMMANDS.map(({ command }) => run(command, ['--help'], env)));
  for (const [index, { command, usage }] of COMMANDS.entries()) {
    const { code, stdout, stderr } = answers[index]!;
    t.equal(code, 0, `${command} --help: exit 0 (${stderr.trim()})`);
    t.match(stdout, usage, `${command} --help: the usage`);
  }
  t.notOk(existsSync(missingDir), 'no DATA_DIR created');
});

t.test('a bad argument is refused before anything is read', async (t) => {
  const answers = await Promise.all(COMMANDS.map(({ command, bad }) => run(command, bad, env)));
  for (const [index, { command, bad, says, exit }] of COMMANDS.entries()) {
    const { code, stdout, stderr } = answers[index]!;
    const name = `${command} ${bad.join(' ')}`;
    t.equal(code, exit, `${name}: exit ${exit}`);
    t.match(stderr, says, `${name}: names the argument`);
    t.notMatch(
      stderr,
      /ENOENT|no such file|DATA_DIR|does not exist/,
      `${name}: not a complaint about what it would read`,
    );
    t.match(stderr, /--help for usage/, `${name}: points at --help`);
    t.equal(stdout, '', `${name}: prints nothing else`);
  }
  t.notOk(existsSync(missingDir), 'no DATA_DIR created (seed would create one once past its arguments)');
  t.notOk(existsSync(path.join(root, 'absent')), 'no file written');
});

t.test('each parser refuses what it must, in process', async (t) => {
  const refused: [string, () => unknown, RegExp][] = [
    ['seed --seed 3', () => parseSeedArgs(['--seed', '3']), /--seed S is for --synthetic N only/],
    ['seed --synthetic 0', () => parseSeedArgs(['--synthetic', '0']), /at least 1/],
    ['seed --synthetic 1e3', () => parseSeedArgs(['--synthetic', '1e3']), /whole number/],
    ['seed extra', () => parseSeedArgs(['extra']), /Unexpected argument 'extra'/],
    ['backup', () => parseBackupArgs([]), /--to FILE is required/],
    ['verify', () => parseVerifyArgs([]), /give --export, --checkpoint and --key \(or --store\)/],
    ['verify --store --export x', () => parseVerifyArgs(['--store', '--export', 'x']), /--store takes no --export/],
    ['verify --accept-tail', () => parseVerifyArgs(['--accept-tail']), /--accept-tail is for --store only/],
    [
      'verify --as-of without --projection',
      () => parseVerifyArgs(['--export', 'e', '--checkpoint', 'c', '--key', 'k', '--as-of', '2025-02-10']),
      /--as-of says when to recompute a --projection/,
    ],
    [
      'verify --known-at garbage',
      () => parseVerifyArgs(['--export', 'e', '--checkpoint', 'c', '--key', 'k', '--known-at', 'soon']),
      /--known-at "soon" is not an ISO 8601 date/,
    ],
    ['verify --new-signing-key', () => parseVerifyArgs(['--new-signing-key', 'x']), /needs --key FILE/],
    ['witness', () => parseWitnessArgs([]), /give --key FILE/],
    ['witness --key k', () => parseWitnessArgs(['--key', 'k']), /give --ledger URL --state FILE --key FILE/],
    [
      'witness --ledger not-a-url',
      () => parseWitnessArgs(['--ledger', 'ledger.example', '--state', 's', '--key', 'k']),
      /--ledger "ledger.example": must be an http\(s\) URL/,
    ],
    [
      'witness --new-key with --ledger',
      () => parseWitnessArgs(['--new-key', 'w', '--key', 'k', '--ledger', 'http://x']),
      /--new-key takes no --ledger/,
    ],
  ];
  for (const [name, parse, message] of refused) t.throws(parse, { name: 'UsageError', message }, name);

  t.same(parseSeedArgs([]), { synthetic: undefined, seed: 1 });
  t.same(parseSeedArgs(['--synthetic', '100000', '--seed', '7']), { synthetic: 100_000, seed: 7 });
  t.match(parseVerifyArgs(['--store', '--accept-tail']), { mode: 'store', acceptTail: true });
  t.match(parseWitnessArgs(['--ledger', 'http://127.0.0.1:3000', '--state', 's', '--key', 'k', '--every', '60']), {
    mode: 'witness',
    every: 60,
  });
  for (const parse of [parseSeedArgs, parseVerifyArgs, parseWitnessArgs, parseBackupArgs])
    t.equal(parse(['-h']), undefined, `${parse.name}: -h is --help`);
});
