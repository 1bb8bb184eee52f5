/**
 * One file made read-only while its folder stays writable, undone at teardown: a read-only bind
 * mount of the file where the process is root (root ignores file permissions), its permissions
 * otherwise. False where neither can be done (root without mount).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import type { Test } from 'tap';

export function readOnlyFile(t: Test, file: string): boolean {
  if (process.getuid?.() !== 0) {
    chmodSync(file, 0o444);
    t.teardown(() => chmodSync(file, 0o644));
    return true;
  }
  try {
    execFileSync('mount', ['--bind', file, file], { stdio: 'ignore' });
    t.teardown(() => execFileSync('umount', ['-l', file], { stdio: 'ignore' }));
    execFileSync('mount', ['-o', 'remount,ro,bind', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
