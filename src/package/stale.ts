import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMPORARY_TRACK_FOLDER } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import { ATOMIC_TEMPORARY_FILE, HOST_TAG, processIsAlive } from '../fs.js';


/**
 * Clears what an interrupted run left beside the track folders: `.<id>.tmp-*` build folders (and
 * `.<id>.old-*` ones of hlsaudio 0.1) and half-written `.catalog.json.*.tmp` files are removed. Those
 * of runs still alive are left alone. What such a run left inside a track folder is tidyTrack's.
 */
export async function recoverInterruptedBuilds(outDir: string): Promise<void> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(outDir, entry.name);
    const file = ATOMIC_TEMPORARY_FILE.exec(entry.name);
    if (entry.isFile() && file) {
      if (await isStale(path, file[2]!, Number(file[3]))) await rm(path, { force: true });
      continue;
    }
    const match = TEMPORARY_TRACK_FOLDER.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const [, , , host, pid] = match;
    if (await isStale(path, host!, Number(pid))) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Left by a run that no longer exists: on this host, its pid is dead (or is ours, reused); on any host,
 * it is a day old. Gone already (another run cleaned it, or renamed it into place): not ours to touch.
 */
async function isStale(path: string, host: string, pid: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return false;
  if (Date.now() - info.mtimeMs >= packageDefaults.staleBuildAgeMs) return true;
  return host === HOST_TAG && (pid === process.pid || !processIsAlive(pid));
}
