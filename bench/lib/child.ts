/**
 * Children the bench starts: our service and the bare baselines, each its own
 * Node process on a free loopback port. Every child is tracked and killed when
 * the bench exits, whether normally, on an error or on Ctrl-C.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { authHeaders, serviceAuthEnv } from './auth.js';
import { serviceLaunch } from './node-flags.js';
import type { BenchContext } from './types.js';

export const HOST = '127.0.0.1';

export interface ChildHandle {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Milliseconds from spawn to the first 200 on the ready path. */
  readyMs: number;
  /** CPU seconds (user + system) the child has used so far; undefined where /proc is missing. */
  cpuSeconds(): number | undefined;
  /** Resident memory in bytes; undefined where /proc is missing. */
  rssBytes(): number | undefined;
  /** The last few KB the child wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** How it exited, once it has: a clean stop is code 0; SIGKILL means the grace period ran out. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every live child now (SIGKILL): for process exit, where nothing async runs. */
function killAllNow(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

/** Stops every live child gracefully (bounded), for signals and fatal errors. */
export async function stopAllChildren(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((child) => stopProcess(child, graceMs)));
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => {
      console.error(`\nbench: ${signal}: stopping ${live.size} child process(es)`);
      void stopAllChildren(1500).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
}

function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A port the OS says is free on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A fresh directory under the run's temporary directory. */
export function freshDir(ctx: BenchContext, prefix: string): string {
  return mkdtempSync(path.join(ctx.runDir, `${prefix}-`));
}

const clockTicks = 100; // USER_HZ on Linux

function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime
  } catch {
    return undefined;
  }
}

function procRssBytes(pid: number): number | undefined {
  return procStatusBytes(pid, 'VmRSS');
}

/** A `kB` field of /proc/<pid>/status in bytes: VmRSS (resident now), VmHWM (peak resident). */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface StartChildOptions {
  name: string;
  /** The entry point, relative to the repository root: a .ts file runs through tsx, a built .js file as it is. */
  script: string;
  /** Added to the bench's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Path polled until it answers 200. */
  readyPath?: string;
  readyTimeoutMs?: number;
  /** Run with `--cpu-prof`, writing into ctx.profileDir (when set). */
  profile?: boolean;
  /** Flags for node before the script. */
  nodeFlags?: string[];
}

/**
 * Compiles the service into dist/ as `npm start` (its `prestart`) and the Dockerfile's build stage do,
 * and the HTTP baselines beside it (bench/tsconfig.baselines.json), so that ours and theirs both run
 * compiled: tsx's transform keeps every function's name (a `__name` call wherever a closure is made),
 * which cost our write path 8 µs an event and the fair peer's far less. Once per bench run.
 */
let built = false;
export function buildService(ctx: BenchContext): void {
  if (built) return;
  ctx.log('bench: npm run build, and the baselines (the service and its peers run compiled, as npm start runs it)');
  const tsc = path.join(ctx.repoRoot, 'node_modules/typescript/bin/tsc');
  for (const project of ['tsconfig.build.json', 'bench/tsconfig.baselines.json'])
    execFileSync(process.execPath, [tsc, '-b', project], { cwd: ctx.repoRoot, stdio: 'inherit' });
  built = true;
}

/** Starts `node --import tsx <script>.ts` or `node <script>.js` with PORT and HOST set, and waits until it is ready. */
export async function startChild(ctx: BenchContext, options: StartChildOptions): Promise<ChildHandle> {
  installHooks();
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PORT: String(port), HOST };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const nodeArgs = [
    ...(options.nodeFlags ?? []),
    ...(options.script.endsWith('.ts') ? ['--import', 'tsx'] : []),
    '--import',
    pathToFileURL(path.join(ctx.repoRoot, 'bench/lib/exit-with-parent.mjs')).href,
  ];
  if (options.profile && ctx.profileDir) {
    // One directory per child: the tsx loader thread writes a profile too. The main thread's has tid 0
    // in its default name (CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile).
    const dir = path.join(ctx.profileDir, options.name);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, options.script], {
    cwd: ctx.repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: spawn failed`);

  const stop = (graceMs = 5000) => stopProcess(child, graceMs);
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exitStatus = { code, signal }));
  try {
    await waitReady(child, `${url}${options.readyPath ?? '/ready'}`, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop(1000);
    throw new Error(`${options.name} did not become ready: ${(error as Error).message}\n--- its output ---\n${output}`);
  }
  return {
    name: options.name,
    pid,
    port,
    url,
    readyMs: performance.now() - started,
    cpuSeconds: () => procCpuSeconds(pid),
    rssBytes: () => procRssBytes(pid),
    output: () => output,
    stop,
    exitStatus: () => exitStatus,
  };
}

export interface RunScriptOptions {
  name: string;
  /** The entry point, relative to the repository root: a .ts file runs through tsx, a built .js one (dist/) as it is. */
  script: string;
  args?: string[];
  /** Added to the bench's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Extra flags for node, e.g. `--expose-gc`. */
  nodeArgs?: string[];
  timeoutMs?: number;
  /** Run with `--cpu-prof`, writing into ctx.profileDir (when set). */
  profile?: boolean;
}

/**
 * Runs `node [--import tsx] <script>` to completion (tracked like every child, so it is killed with the
 * bench) and returns the JSON object the script printed as its last line of stdout. Its stderr is
 * passed through as progress. A non-zero exit, a timeout or no JSON is an error naming its output.
 */
export async function runScript<T>(ctx: BenchContext, options: RunScriptOptions): Promise<T> {
  installHooks();
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  if (options.script.endsWith('.js')) buildService(ctx);
  const nodeArgs = [
    ...(options.script.endsWith('.ts') ? ['--import', 'tsx'] : []),
    '--import',
    pathToFileURL(path.join(ctx.repoRoot, 'bench/lib/exit-with-parent.mjs')).href,
    ...(options.nodeArgs ?? []),
  ];
  if (options.profile && ctx.profileDir) {
    const dir = path.join(ctx.profileDir, options.name);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  const child = spawn(process.execPath, [...nodeArgs, options.script, ...(options.args ?? [])], {
    cwd: ctx.repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString('utf8')).slice(-65536)));
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr = (stderr + text).slice(-8192);
    for (const line of text.split('\n')) if (line.trim()) ctx.log(`${options.name}: ${line.trim()}`);
  });
  const timeoutMs = options.timeoutMs ?? 600_000;
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (c, s) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code: c, signal: s });
    });
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0)
    throw new Error(
      `${options.name} exited with code ${code}, signal ${signal}` +
        (signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : '') +
        `\n--- its output ---\n${stdout.slice(-4000)}${stderr}`,
    );
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${options.name} printed no JSON result as its last line:\n${stdout.slice(-4000)}`);
  }
}

async function waitReady(child: ChildProcess, readyUrl: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited early (code ${code}, signal ${signal})`));
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      const response = await fetch(readyUrl, { headers: authHeaders(), signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`no 200 from ${readyUrl} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ServiceOptions {
  /** Defaults to a fresh directory: a new store, seeded with the mission's history. */
  dataDir?: string;
  env?: Record<string, string | undefined>;
  name?: string;
  /** How long it may take to answer /ready (default 60 s): a start that folds a long log needs more. */
  readyTimeoutMs?: number;
}

/** Our service on the embedded store, as `npm start` runs it (and the Dockerfile): compiled, with the flags and environment of its start script. */
export function startService(ctx: BenchContext, options: ServiceOptions = {}): Promise<ChildHandle> {
  buildService(ctx);
  // The environment, flags and entry of `npm start`, read from package.json.
  const launch = serviceLaunch(ctx.repoRoot);
  const env: Record<string, string | undefined> = {
    ...launch.env,
    DATA_DIR: options.dataDir ?? freshDir(ctx, 'ledger'),
    LOG_LEVEL: 'silent',
    SEED_ON_EMPTY: 'true',
    ...serviceAuthEnv(),
    // The embedded store, unless a scenario asks for EventStoreDB explicitly.
    EVENTSTORE_CONNECTION_STRING: undefined,
    ...options.env,
  };
  return startChild(ctx, {
    name: options.name ?? 'service',
    script: launch.entry,
    nodeFlags: launch.flags,
    env,
    readyPath: '/ready',
    profile: true,
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
}

/** Runs `use` with a started child and always stops the child afterwards. */
export async function withChild<T>(
  starting: Promise<ChildHandle>,
  use: (child: ChildHandle) => Promise<T>,
): Promise<T> {
  const child = await starting;
  try {
    return await use(child);
  } finally {
    await child.stop();
  }
}

/** A bare baseline server from bench/baselines/, with a fresh DATA_DIR. */
export function startBaseline(
  ctx: BenchContext,
  name: string,
  env: Record<string, string | undefined> = {},
  /** The child's own name, when one baseline script runs twice in a scenario (with different env). */
  as = name,
): Promise<ChildHandle> {
  buildService(ctx);
  // Compiled, as our service runs: a peer through tsx would pay its transform's costs and ours not.
  return startChild(ctx, {
    name: as,
    script: `dist/bench/baselines/${name}.js`,
    env: { DATA_DIR: freshDir(ctx, as), ...env },
    readyPath: '/ready',
  });
}

/** The service's head position, from GET /ready. */
export async function headPosition(service: ChildHandle): Promise<number> {
  const response = await fetch(`${service.url}/ready`, { headers: authHeaders() });
  const body = (await response.json()) as { head?: number };
  if (typeof body.head !== 'number') throw new Error(`GET /ready gave no head: ${JSON.stringify(body)}`);
  return body.head;
}

/** Starts children one after another (so their start-up does not compete), runs `use`, stops them all. */
export async function withChildren<T>(
  starters: (() => Promise<ChildHandle>)[],
  use: (children: ChildHandle[]) => Promise<T>,
): Promise<T> {
  const children: ChildHandle[] = [];
  try {
    for (const start of starters) children.push(await start());
    return await use(children);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
