import { hostname } from 'node:os';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageDefaults } from '../defaults.js';
import { displayPath, HlsaudioError } from '../errors.js';
import { processIsAlive, writeFileAtomic } from '../fs.js';
import { CATALOG_FILE, catalogEntry, type CatalogEntry, type CatalogInfo, READABLE_SCHEMAS, SCHEMA_VERSION, TRACK_FILE, type TrackInfo } from './schema.js';
import { TRACK_ID } from './track-id.js';

const LOCK_FILE = '.catalog.lock';

/** Reads a track folder's track.json; undefined when the folder holds no complete track. */
export async function readTrack(outDir: string, trackId: string): Promise<TrackInfo | undefined> {
  const file = join(outDir, trackId, TRACK_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const track = JSON.parse(text) as TrackInfo;
    if (!READABLE_SCHEMAS.includes(track.schema) || track.id !== trackId) throw new Error(`schema ${track.schema}, id ${track.id}`);
    return track;
  } catch (cause) {
    throw new HlsaudioError('E_CATALOG', `${displayPath(file)}: not a track.json of a schema this hlsaudio reads (${READABLE_SCHEMAS.join(', ')}): ${(cause as Error).message}; rebuild it with \`hlsaudio package --force\``, {
      file,
      cause,
    });
  }
}

/** Ids of the complete tracks in an output folder: visible folders named like a track id that hold a track.json. */
export async function listTrackIds(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  const ids: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !TRACK_ID.test(entry.name)) continue;
    if (await stat(join(outDir, entry.name, TRACK_FILE)).then(() => true, () => false)) ids.push(entry.name);
  }
  return ids.sort();
}

export async function readCatalog(outDir: string): Promise<CatalogInfo | undefined> {
  const file = join(outDir, CATALOG_FILE);
  try {
    const catalog = JSON.parse(await readFile(file, 'utf8')) as CatalogInfo;
    return READABLE_SCHEMAS.includes(catalog.schema) && Array.isArray(catalog.tracks) ? catalog : undefined;
  } catch {
    return undefined;
  }
}

/** Rebuilds catalog.json from the track.json files in the folder (`hlsaudio catalog`, and the end of every run). */
export async function rebuildCatalog(outDir: string): Promise<CatalogInfo> {
  return withCatalogLock(outDir, async () => {
    const entries: CatalogEntry[] = [];
    for (const id of await listTrackIds(outDir)) {
      const track = await readTrack(outDir, id);
      if (track) entries.push(catalogEntry(track));
    }
    return writeCatalog(outDir, entries);
  });
}

/** Adds or replaces one track's entry, as each track lands during a run. */
export async function upsertCatalogEntry(outDir: string, track: TrackInfo): Promise<void> {
  await withCatalogLock(outDir, async () => {
    const current = (await readCatalog(outDir))?.tracks ?? [];
    await writeCatalog(outDir, [...current.filter((entry) => entry.id !== track.id), catalogEntry(track)]);
  });
}

async function writeCatalog(outDir: string, entries: CatalogEntry[]): Promise<CatalogInfo> {
  const catalog: CatalogInfo = {
    schema: SCHEMA_VERSION,
    generated_at: new Date().toISOString(),
    tracks: entries.sort((a, b) => a.id.localeCompare(b.id)),
  };
  await writeFileAtomic(join(outDir, CATALOG_FILE), `${JSON.stringify(catalog, null, 2)}\n`);
  return catalog;
}

/**
 * Serialises catalog.json writers, also across processes (CI jobs writing to one folder): an
 * exclusive lock file holding pid and host. A lock whose holder died on this host, or older than
 * catalogLockStaleMs, is taken over.
 */
async function withCatalogLock<T>(outDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(outDir, { recursive: true });
  const lock = join(outDir, LOCK_FILE);
  const deadline = Date.now() + packageDefaults.catalogLockWaitMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HlsaudioError('E_OUTPUT', `${displayPath(lock)}: cannot create lock (${(error as Error).message})`, { file: lock, cause: error });
      }
      const stale = await staleLockContent(lock);
      if (stale !== undefined) {
        await takeOverStaleLock(lock, stale);
        continue;
      }
      if (Date.now() > deadline) {
        throw new HlsaudioError('E_OUTPUT', `${displayPath(lock)}: another hlsaudio process holds the catalog lock; remove the file if none runs`, { file: lock });
      }
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** The lock's content when its holder is gone (dead on this host, or silent past catalogLockStaleMs). */
async function staleLockContent(lock: string): Promise<string | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    if (Date.now() - info.mtimeMs > packageDefaults.catalogLockStaleMs) return text;
    const holder = JSON.parse(text) as { pid?: number; host?: string };
    return holder.host === hostname() && typeof holder.pid === 'number' && !processIsAlive(holder.pid) ? text : undefined;
  } catch {
    return undefined; // being written or just removed: look again
  }
}

/**
 * Removes a stale lock by renaming it aside first: of two waiters that both judged it stale, one
 * rename wins. If what was moved is not the stale lock any more (the other waiter had already taken
 * over and locked anew), it is put back with link(), which never overwrites.
 */
async function takeOverStaleLock(lock: string, staleContent: string): Promise<void> {
  const aside = `${lock}.${process.pid}-${Math.random().toString(16).slice(2)}`;
  if (!(await rename(lock, aside).then(() => true, () => false))) return;
  if ((await readFile(aside, 'utf8').catch(() => '')) !== staleContent) await link(aside, lock).catch(() => {});
  await rm(aside, { force: true });
}
