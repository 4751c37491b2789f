import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ATOMIC_TEMPORARY_FILE } from '../fs.js';
import { isContentAddressed, PEAKS_ROUTE_FILE } from './schema.js';

/**
 * The files of a track folder and of its quality folders that hlsaudio writes (playlists, media, peaks,
 * its own temporary files), relative to it: what `package` may remove when track.json no longer lists
 * them, and what `validate` reports as left over. Anything else someone put there is not ours.
 */
export async function ownTrackFiles(trackDir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relative: string, depth: number) => {
    const entries = await readdir(join(trackDir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = relative ? posix.join(relative, entry.name) : entry.name;
      if (entry.isDirectory() && depth === 0) await visit(path, 1);
      else if (entry.isFile() && isOwnFileName(entry.name)) found.push(path);
    }
  };
  await visit('', 0);
  return found.sort();
}

function isOwnFileName(name: string): boolean {
  // Content-addressed: media (fMP4 init segments included), playlists, peaks. Fixed names: masters and
  // the files of folders written before content addressing (packed audio; fMP4 and peaks.json of
  // issue 12's first builds).
  return isContentAddressed(name) || ATOMIC_TEMPORARY_FILE.test(name) || /^[a-z0-9_-]+\.(m3u8|aac|mp3|mp4)$/.test(name) || name === PEAKS_ROUTE_FILE;
}
