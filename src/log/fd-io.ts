/**
 * Whole reads and writes on a file descriptor, synchronous: `readSync` and `writeSync` may do less
 * than asked (a signal, a pipe, a file near its end), and the log's files are read and written in
 * pieces of up to a MiB that must land whole.
 */
import { readSync, writeSync } from 'node:fs';

/** Writes all of `bytes` at `position`, or at the file's current offset when none is given. */
export function writeWholeSync(fd: number, bytes: Uint8Array, position?: number): void {
  for (let done = 0; done < bytes.length;)
    done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
}

/** Fills `length` bytes of `into` from `at`, read from the file at `position`; a file that ends first is an error. */
export function readWholeSync(fd: number, into: Uint8Array, position: number, length = into.length, at = 0): void {
  for (let done = 0; done < length;) {
    const read = readSync(fd, into, at + done, length - done, position + done);
    if (read === 0) throw new Error('the saved tree ends early: its leaves cannot be read');
    done += read;
  }
}
