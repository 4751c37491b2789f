import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMPORARY_TRACK_FOLDER } from '../catalog/schema.js';
import { ATOMIC_TEMPORARY_FILE, processIsAlive } from '../fs.js';


/** A temporary folder older than this is stale even when its pid is alive (pids are reused). */
const STALE_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Clears what an interrupted run left in an output folder: `.<id>.tmp-*` build folders and
 * half-written `.catalog.json.*.tmp` files are removed;
 * a `.<id>.old-*` folder (a previous build moved aside just before the new one was renamed in) is put
 * back when the track has no folder, and removed otherwise. Folders of runs still alive are left alone.
 */
export async function recoverInterruptedBuilds(outDir: string): Promise<void> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(outDir, entry.name);
    const file = ATOMIC_TEMPORARY_FILE.exec(entry.name);
    if (entry.isFile() && file) {
      if (await isStale(path, Number(file[2]))) await rm(path, { force: true });
      continue;
    }
    const match = TEMPORARY_TRACK_FOLDER.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const [, id, kind, pid] = match;
    if (!(await isStale(path, Number(pid)))) continue;
    if (kind === 'old') {
      const target = join(outDir, id!);
      const restored = await rename(path, target).then(() => true, () => false);
      if (restored) continue;
    }
    await rm(path, { recursive: true, force: true });
  }
}

/** Left by a run that no longer exists: its pid is dead (or is ours, reused), or it is a day old. */
async function isStale(path: string, pid: number): Promise<boolean> {
  const age = Date.now() - (await stat(path)).mtimeMs;
  return pid === process.pid || !processIsAlive(pid) || age >= STALE_AGE_MS;
}
