/** The table on stdout and the JSON in bench/results/. */
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import os from 'node:os';
import type { Row } from './types.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

function formatValue(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return integer.format(value);
  return decimal.format(value);
}

export function formatTable(rows: Row[]): string {
  const header = ['scenario', 'metric', 'ours', 'baseline', 'ours/baseline', 'target', ''];
  const lines = rows.map((r) => {
    const unit = r.unit === 'ms' || r.unit === 'µs' ? ` ${r.unit}` : '';
    return [
      r.scenario,
      r.metric,
      formatValue(r.ours) + unit,
      r.baseline ? `${formatValue(r.baseline.value)}${unit} (${r.baseline.name})` : '',
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
      !r.target
        ? ''
        : r.target.on === 'ratio'
          ? `${r.target.op} ${r.target.value.toFixed(2)}×`
          : `${r.target.op} ${formatValue(r.target.value)}${unit}`,
      r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([2, 4, 5]);
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
};

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Where and on what the figures were taken: they mean little without it. */
export function environment(repoRoot: string, dataDir: string) {
  let filesystem: string | undefined;
  try {
    const type = Number(statfsSync(dataDir).type);
    filesystem = FS_TYPES[type] ?? `0x${type.toString(16)}`;
  } catch {
    filesystem = undefined;
  }
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    dataDirFilesystem: filesystem,
    commit: git(['-C', repoRoot, 'rev-parse', '--short', 'HEAD']),
    uncommittedFiles: git(['-C', repoRoot, 'status', '--porcelain'])?.split('\n').filter(Boolean).length,
  };
}
