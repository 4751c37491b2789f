import { readdirSync, readlinkSync } from 'node:fs';

/**
 * How many of this process's descriptors are open on files under `prefix` (a file or a folder).
 * Counting every descriptor of the process instead is flaky: the test runner and handles closed
 * asynchronously by an earlier test open and close their own descriptors in between.
 */
export function openFdsUnder(prefix: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix)) count += 1;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count;
}
