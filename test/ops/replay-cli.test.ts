/**
 * `npm run replay` and `npm run rebuild` as an operator runs them: --help, every argument
 * checked before anything is read (one line, exit 2), a DATA_DIR that holds no ledger refused
 * without creating anything, and a real replay and rebuild of a seeded ledger.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { format, parseReplayArgs, render, rows } from '../../src/cli/replay.js';
import { toProposal } from '../../src/http/routes/events.js';
import { Projector } from '../../src/read/projector.js';
import { line, transfer } from '../support/fixtures.js';
import { seedMissionHistory, startLedger } from '../../src/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function replay(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/replay.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, EVENTSTORE_CONNECTION_STRING: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const oneLine = (text: string) => text.trim().split('\n').length === 1;

t.test('replay and rebuild', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mss-ledger-replay-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const seeded = path.join(root, 'seeded');
  mkdirSync(seeded);
  const ledger = await startLedger(openSqliteStore({ file: path.join(seeded, 'ledger.sqlite') }));
  await seedMissionHistory(ledger);
  // Two serial-numbered rifles handed to the police, so custody has a chain to show.
  const handover = transfer('mss', 'hnp', [line('firearm-assorted', 2, ['MSS-R-0001', 'MSS-R-0002'])]);
  await ledger.writer.submit({ proposals: [toProposal(handover)], recordedBy: 'test' });
  const head = await ledger.store.headPosition();
  await ledger.close();
  const empty = path.join(root, 'empty');
  mkdirSync(empty);
  const missing = path.join(root, 'mistyped');
  const aFile = path.join(root, 'a-file');
  writeFileSync(aFile, 'not a directory');

  t.test('--help answers with the usage, exit 0', async (t) => {
    const { code, stdout } = await replay(['--help'], { DATA_DIR: missing });
    t.equal(code, 0);
    t.match(stdout, /Usage:[\s\S]*--projection NAME[\s\S]*--as-of DATE[\s\S]*--format json\|table\|csv[\s\S]*rebuild/);
    t.notOk(existsSync(missing), 'nothing created');
  });

  t.test('every argument is checked before anything is read: one line, exit 2', async (t) => {
    // DATA_DIR does not exist: had anything been read first, that would be the complaint.
    const cases: [string[], RegExp][] = [
      [['--as-of', '2025-13-45'], /--as-of "2025-13-45" is not an ISO 8601 date/],
      [['--asof', '2025-01-01'], /Unknown option '--asof'/],
    ];
    const results = await Promise.all(cases.map(([args]) => replay(args, { DATA_DIR: missing })));
    for (const [index, [args, message]] of cases.entries()) {
      const { code, stdout, stderr } = results[index]!;
      t.equal(code, 2, `${args.join(' ')}: exit 2`);
      t.match(stderr, message, `${args.join(' ')}: says what is wrong`);
      t.ok(oneLine(stderr), `${args.join(' ')}: in one line`);
      t.equal(stdout, '', 'and prints nothing else');
    }
    t.notOk(existsSync(missing), 'nothing created');
    // The same parser, in process (each spawn costs a second of CPU): every mistake is a UsageError.
    const refused: [string[], RegExp][] = [
      [['--known-at', 'yesterday'], /--known-at "yesterday" is not an ISO 8601 date/],
      [['--as-of', '2025-02-30T25:00:00Z'], /--as-of .* is not an ISO 8601 date/],
      [
        ['--projection', 'inventroy'],
        /--projection "inventroy": must be one of inventory, personnel, donors, shipments/,
      ],
      [['--format', 'xml'], /--format "xml": must be one of json, table, csv/],
      [['--projection', 'custody'], /--projection custody needs --serial/],
      [['--serial', 'SN-1'], /--serial is for --projection custody only/],
      [['--projection', 'timeline', '--as-of', '2025-02-10'], /takes no --as-of: .* --to sets the last day/],
      [['--projection', 'timeline', '--interval', 'hour'], /--interval "hour": must be one of day, week, month/],
      [['--projection', 'timeline', '--category', 'guns'], /--category "guns": must be one of firearm/],
      [['--projection', 'timeline', '--from', '2025-03-01', '--to', '2025-02-01'], /--from must not be after --to/],
      [['--projection', 'timeline', '--from', '2020-01-01', '--to', '2025-01-01'], /at most 1000 points/],
      [['inventory'], /Unexpected argument 'inventory'/],
      [['--rebuild', '--as-of', '2025-01-01'], /--rebuild .* takes no other option/],
      [['--as-of'], /--as-of/],
    ];
    for (const [args, message] of refused)
      t.throws(() => parseReplayArgs(args), { name: 'UsageError', message }, args.join(' '));
    t.match(parseReplayArgs(['--as-of', '2025-02-10', '--known-at', '2025-03-01T12:00:00Z']), {
      projection: 'inventory',
      format: 'json',
      asOf: Date.parse('2025-02-10T23:59:59.999Z'),
      knownAt: Date.parse('2025-03-01T12:00:00Z'),
    });
  });

  t.test('a DATA_DIR that holds no ledger is refused and nothing is created', async (t) => {
    const [gone, bare, file, rebuildBare] = await Promise.all([
      replay([], { DATA_DIR: missing }),
      replay(['--projection', 'personnel'], { DATA_DIR: empty }),
      replay([], { DATA_DIR: aFile }),
      replay(['--rebuild'], { DATA_DIR: empty }),
    ]);
    t.equal(gone.code, 2);
    t.match(gone.stderr, `DATA_DIR ${missing} does not exist`);
    t.ok(oneLine(gone.stderr));
    t.notOk(existsSync(missing), 'the mistyped directory is not created');
    t.equal(bare.code, 2);
    t.match(bare.stderr, `DATA_DIR ${empty} holds no ledger (no ledger.sqlite)`);
    t.ok(oneLine(bare.stderr));
    t.equal(rebuildBare.code, 2, 'rebuild too');
    t.same(readdirSync(empty), [], 'no ledger file, no checkpoint created');
    t.equal(file.code, 2);
    t.match(file.stderr, 'is not a directory');
  });

  t.test('a real replay and rebuild of a seeded ledger', async (t) => {
    const [json, table] = await Promise.all([
      replay(['--as-of', '2025-06-01', '--projection', 'personnel'], { DATA_DIR: seeded }),
      replay(['--format', 'table'], { DATA_DIR: seeded }),
    ]);
    t.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as { asOf: string; position: number; personnel: { deployed: number } };
    t.equal(answer.asOf, '2025-06-01T23:59:59.999Z');
    t.equal(answer.position, head);
    t.ok(answer.personnel.deployed > 0, 'personnel were deployed by June 2025');
    t.equal(table.code, 0, table.stderr);
    t.match(table.stdout, /inventory as of now, as known at now/);
    const rebuilt = await replay(['--rebuild'], { DATA_DIR: seeded });
    t.equal(rebuilt.code, 0, rebuilt.stderr);
    t.match(rebuilt.stderr, new RegExp(`rebuilt every projection from ${head} positions`));
    t.ok(existsSync(path.join(seeded, 'projections.checkpoint')), 'the checkpoint is saved');
  });

  t.test('--format csv parses back to the rows of the JSON answer, for every projection', async (t) => {
    const spawned = await replay(['--format', 'csv', '--as-of', '2025-03-01'], { DATA_DIR: seeded });
    t.equal(spawned.code, 0, spawned.stderr);
    const spawnedRows = parse(spawned.stdout, { columns: true }) as Record<string, string>[];
    t.match(
      spawnedRows.find((r) => r.holder === 'mss' && r.itemType === 'firearm-assorted'),
      { quantity: '598', exact: 'false', precision: 'at-least', lower: '598', upper: '' },
      'the command prints CSV: at least 600 rifles less the 2 handed over',
    );

    const store = openSqliteStore({ file: path.join(seeded, 'ledger.sqlite'), readonly: true });
    t.teardown(() => store.close());
    const projector = new Projector(store);
    await projector.start();
    await projector.close();
    const asked = [
      ['--projection', 'inventory'],
      ['--projection', 'personnel', '--as-of', '2024-11-08'],
      ['--projection', 'donors'],
      ['--projection', 'shipments'],
      ['--projection', 'custody', '--serial', 'MSS-R-0002'],
      ['--projection', 'timeline', '--from', '2025-02-01', '--to', '2025-03-31', '--interval', 'week'],
    ];
    for (const args of asked) {
      const request = parseReplayArgs(args)!;
      const rendered = render(projector, request.projection, request.asOf, request.knownAt, request.options);
      const json = JSON.parse(format(request.projection, 'json', rendered)) as Record<string, unknown>;
      const expected = rows(request.projection, json[request.projection] as never);
      t.ok(expected.length > 0, `${args.join(' ')}: there are rows to compare`);
      const csv = format(request.projection, 'csv', rendered);
      const parsed = parse(csv, { columns: true }) as Record<string, string>[];
      const asText = (row: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
      t.same(parsed, expected.map(asText), `${args.join(' ')}: the CSV holds the JSON answer's figures`);
    }
    const custody = render(projector, 'custody', undefined, undefined, { serial: 'MSS-R-0002' });
    t.match(
      rows('custody', custody.view),
      [{ serial: 'MSS-R-0002', holder: 'hnp', receivedFrom: 'mss', from: '2025-03-01T00:00:00.000Z', until: null }],
      'a serial first seen in a handover: held by the police since, received from the mission',
    );
  });

  t.test('a --known-at before anything was recorded says why the answer is empty', async (t) => {
    const early = await replay(['--known-at', '2025-03-01', '--format', 'table'], { DATA_DIR: seeded });
    t.equal(early.code, 0, early.stderr);
    t.match(early.stdout, /\(position 0\)[\s\S]*\(no rows\)/, 'an empty table, at position 0');
    t.match(
      early.stderr,
      /nothing had been recorded by --known-at 2025-03-01T23:59:59.999Z: the first event was recorded at/,
    );
    t.match(early.stderr, /use --as-of/);
  });
});
