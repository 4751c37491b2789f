import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { masterPlaylistText } from '../catalog/master-text.js';
import { currentFiles, isContentAddressed, listedFiles, type RetiredFile, TRACK_FILE, type TrackInfo } from '../catalog/schema.js';
import { readTrack, upsertCatalogEntryLocked, withCatalogLock } from '../catalog/store.js';
import { ownTrackFiles } from '../catalog/track-folder.js';
import { writeFileAtomic } from '../fs.js';
import { type LandingStep, pauseAt } from './pause.js';

/**
 * Puts a built track (every file of it, under its final name, in `workDir`) into the output folder,
 * under the catalog lock, so that at every instant, a `kill -9` included, the track folder is a
 * complete track that `validate` passes and `serve` answers in full:
 *
 * - A first build is one rename of the whole folder.
 * - A rebuild replaces the track in place. Media and variant playlists have content-addressed names
 *   (their bytes never change under a name), so the new ones go in first, beside the previous ones,
 *   referred to by nothing yet. track.json is renamed over the previous one: the commit. It lists the
 *   previous build's files that the new one no longer uses as `retired`, served until they expire
 *   (`previousBuildGraceSec` from now), so a player holding a previous playlist still gets the bytes
 *   it expects. catalog.json follows. Only then are the masters (fixed names, the one kind of file
 *   rewritten in place) rewritten from track.json: a master still the previous one lists retired
 *   playlists, which are served. Then expired files are dropped from track.json and removed.
 *
 * What a stop leaves is finished by the next run: it rewrites masters from track.json, drops expired
 * files and removes files no track.json lists (tidyTrack), whatever step the stop fell on.
 */
export async function landTrack(outDir: string, workDir: string, built: TrackInfo, options: { previousBuildGraceSec: number }): Promise<TrackInfo> {
  return withCatalogLock(outDir, async () => {
    const trackDir = join(outDir, built.id);
    const now = Date.now();
    const previous = await readTrack(outDir, built.id).catch(() => undefined);
    const track: TrackInfo = { ...built, retired: retiredFiles(previous, built, now, options.previousBuildGraceSec) };
    await writeFile(join(workDir, TRACK_FILE), `${JSON.stringify(track, null, 2)}\n`);
    if (await renameIntoEmpty(workDir, trackDir)) {
      await pauseAt('committed');
      await upsertCatalogEntryLocked(outDir, track);
      return track;
    }
    let placed = 0;
    const newMasters = [];
    for (const master of track.masters) if (!(await exists(join(trackDir, master.file)))) newMasters.push(master.file);
    // Media (an fMP4 init segment is the start of its media file) and peaks before the playlists that
    // name them; masters only where none is yet (a new codec family).
    const media = [...track.variants.map((v) => v.file), ...(track.peaks ? [track.peaks.file] : [])];
    for (const file of [...media, ...track.variants.map((v) => v.playlist), ...newMasters]) {
      await placeFile(join(workDir, file), join(trackDir, file));
      if (++placed === 1) await pauseAt('placing');
    }
    await pauseAt('placed');
    await rename(join(workDir, TRACK_FILE), join(trackDir, TRACK_FILE));
    await pauseAt('committed');
    await upsertCatalogEntryLocked(outDir, track);
    await pauseAt('cataloged');
    const tidied = await tidyTrack(outDir, track.id, { now, onStep: pauseAt });
    await rm(workDir, { recursive: true, force: true });
    return tidied ?? track;
  });
}

/**
 * Brings a track folder to what its track.json says, whatever step a stopped landing fell on: masters
 * rewritten from track.json, retired files past their expiry dropped from it and removed, and files
 * of hlsaudio's that it does not list (a stopped landing's new files, half-written temporary files)
 * removed. The caller holds the catalog lock. Returns the track as it now is (undefined: no track.json).
 * `onStep` is told each step done (landTrack's test pauses).
 */
export async function tidyTrack(outDir: string, id: string, { now, onStep = async () => {} }: { now: number; onStep?: (step: LandingStep) => Promise<void> }): Promise<TrackInfo | undefined> {
  const trackDir = join(outDir, id);
  let track = await readTrack(outDir, id).catch(() => undefined);
  if (!track) return undefined;
  let rewritten = 0;
  for (const master of track.masters) {
    if (await writeFileAtomic(join(trackDir, master.file), masterPlaylistText(track, master))) {
      if (++rewritten === 1 && track.masters.length > 1) await onStep('replacing-masters');
    }
  }
  await onStep('masters-replaced');
  const retired = track.retired ?? [];
  const kept = retired.filter((file) => Date.parse(file.expires_at) > now);
  if (kept.length < retired.length) {
    track = { ...track, retired: kept };
    await writeFileAtomic(join(trackDir, TRACK_FILE), `${JSON.stringify(track, null, 2)}\n`);
    await onStep('unlisted-expired');
  }
  const listed = new Set([TRACK_FILE, ...listedFiles(track)]);
  let removed = 0;
  for (const file of await ownTrackFiles(trackDir)) {
    if (listed.has(file)) continue;
    await rm(join(trackDir, file), { force: true });
    if (++removed === 1) await onStep('removing');
  }
  await removeEmptyFolders(trackDir);
  await onStep('tidied');
  return track;
}

/**
 * The previous build's files that the new one does not use, each until its expiry: files it retired
 * itself keep theirs (those already expired are listed once more, so that the masters still naming
 * them stay served until tidyTrack rewrites the masters), the files it used get now + grace.
 */
function retiredFiles(previous: TrackInfo | undefined, next: TrackInfo, now: number, graceSec: number): RetiredFile[] {
  if (!previous) return [];
  const current = new Set(currentFiles(next));
  const expiresAt = new Date(now + graceSec * 1000).toISOString();
  const retired = new Map<string, RetiredFile>();
  for (const file of previous.retired ?? []) if (!current.has(file.file)) retired.set(file.file, file);
  for (const file of currentFiles(previous)) if (!current.has(file)) retired.set(file, { file, expires_at: expiresAt });
  return [...retired.values()].sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * Moves a new file into the track folder. A content-addressed name already there holds the same
 * bytes (a rebuild that changed nothing of this variant): it is kept, so its validators stay.
 */
async function placeFile(from: string, to: string): Promise<void> {
  if (isContentAddressed(to) && (await exists(to))) return;
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

/** Renames a folder to a name that is free (or an empty folder); false when a non-empty folder is there. */
async function renameIntoEmpty(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/** Quality folders left empty (a quality no build uses any more). */
async function removeEmptyFolders(trackDir: string): Promise<void> {
  for (const entry of await readdir(trackDir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await rmdir(join(trackDir, entry.name)).catch(() => {});
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
