/**
 * The real service as a child process, for tests of what an operator sees:
 * exit codes, the lines it prints, and its answers over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { generateSignerKey } from '../../src/log/note.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

export interface ServiceProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `src/main.ts` (or another entry) with the environment given on top of this one's. */
export function startService(env: Record<string, string>, entry = 'src/main.ts', args: string[] = []): ServiceProcess {
  return spawnTracked(process.execPath, ['--import', 'tsx', entry, ...args], env);
}

/** Starts a built entry (a `.js` file) with plain node and `flags`, as `npm start` runs the service. */
export function startBuilt(entry: string, env: Record<string, string>, flags: string[] = []): ServiceProcess {
  return spawnTracked(process.execPath, [...flags, entry], env);
}

/** Spawns in the repository with `env` on top of this process's, keeping what it prints and when it exits. */
function spawnTracked(command: string, args: string[], env: Record<string, string>, detached = false): ServiceProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** A service started by `npm start`, with a stop that reaches npm, its shell and the service. */
export interface NpmStarted extends ServiceProcess {
  /**
   * Sends `signal` to the whole process group, and resolves with npm's exit code once every
   * process of the group has exited (npm may exit before the service has written its checkpoints).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `npm start` itself, as the README's quick start runs it: its `prestart` builds dist/ first, then it
 * runs the compiled service with the script's environment and flags. In a process group of its own,
 * so that a stop reaches every process of it.
 */
export function startWithNpm(env: Record<string, string>): NpmStarted {
  // npm sets npm_execpath for the scripts it runs (npm test); otherwise the npm on PATH.
  const npm = process.env.npm_execpath;
  const [command, args] = npm?.endsWith('.js')
    ? [process.execPath, [npm, 'start', '--silent']]
    : ['npm', ['start', '--silent']];
  const started = spawnTracked(command, args, env, true);
  const { child, exited } = started;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    // To the group even when npm has exited: the service it started may still be running.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    }
    const code = await exited;
    if (child.pid !== undefined) await groupGone(child.pid);
    return code;
  };
  return { ...started, stop };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function request(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Waits until the service itself (not the boot server that answers while it opens) answers
 * /ready with `want` (200 by default), failing if the process exits first.
 */
export async function waitReady(port: number, child: ChildProcess, want = 200, tries = 600) {
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null) throw new Error('the service exited');
    const answer = await request(port, 'GET', '/ready').catch(() => undefined);
    const starting = answer?.body.includes('"engine":"starting"') ?? true;
    if (answer?.status === want && !starting) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the service did not answer /ready with ${want}`);
}

/** A fresh signing key for the verifiable log, written to `dir` (production requires SIGNING_KEY_FILE). */
export function signingKeyFile(dir: string, name = 'test.mss-ledger/log'): string {
  const file = path.join(dir, 'log-signing.key');
  writeFileSync(file, generateSignerKey(name), { mode: 0o600 });
  return file;
}

/** Resolves when no process of the group is left, or after `limitMs` (more than the service's own shutdown limit). */
async function groupGone(groupId: number, limitMs = 15_000) {
  for (const started = Date.now(); Date.now() - started < limitMs;) {
    try {
      process.kill(-groupId, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
