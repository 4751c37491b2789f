import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * This machine in temporary names (8 hex digits of its host name's hash): a pid means something only
 * on its own host, and an output folder may be shared between CI machines.
 */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** The name writeFileAtomic gives its temporary file: `.<name>.<host tag>-<pid>-<hex>.tmp`. */
export const ATOMIC_TEMPORARY_FILE = /^\.(.+)\.([0-9a-f]{8})-(\d+)-[0-9a-f]+\.tmp$/;

/**
 * Writes a file so that readers see the old content or the new, never a part: a temporary file
 * beside the target, flushed, then renamed over it. Unchanged content is not rewritten (Shaka writes
 * playlists the same way), which keeps mtimes, and so HTTP validators, stable.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<boolean> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const current = await readFile(path).catch(() => undefined);
  if (current && Buffer.compare(current, data) === 0) return false;
  const temporary = join(dirname(path), `.${basename(path)}.${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return true;
}

/** True when a process with this pid runs on this machine (EPERM means it runs as someone else). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
