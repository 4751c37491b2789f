import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { processIsAlive } from '../fs.js';

const TEMPORARY = /^\.(.+)\.(tmp|old)-(\d+)-[0-9a-f]+$/;
/** A temporary folder older than this is stale even when its pid is alive (pids are reused). */
const STALE_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Clears what an interrupted run left in an output folder: `.<id>.tmp-*` build folders are removed;
 * a `.<id>.old-*` folder (a previous build moved aside just before the new one was renamed in) is put
 * back when the track has no folder, and removed otherwise. Folders of runs still alive are left alone.
 */
export async function recoverInterruptedBuilds(outDir: string): Promise<void> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const [, id, kind, pid] = match;
    const path = join(outDir, entry.name);
    const age = Date.now() - (await stat(path)).mtimeMs;
    if (Number(pid) !== process.pid && processIsAlive(Number(pid)) && age < STALE_AGE_MS) continue;
    if (kind === 'old') {
      const target = join(outDir, id!);
      const restored = await rename(path, target).then(() => true, () => false);
      if (restored) continue;
    }
    await rm(path, { recursive: true, force: true });
  }
}
