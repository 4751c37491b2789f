import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageDefaults } from '../defaults.js';
import { displayPath, HlsaudioError, outputError } from '../errors.js';
import { HOST_TAG, processIsAlive, writeFileAtomic } from '../fs.js';
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
  return withCatalogLock(outDir, () => rebuildCatalogLocked(outDir));
}

/** rebuildCatalog for a caller that holds the catalog lock. */
export async function rebuildCatalogLocked(outDir: string): Promise<CatalogInfo> {
  const entries: CatalogEntry[] = [];
  for (const id of await listTrackIds(outDir)) {
    const track = await readTrack(outDir, id);
    if (track) entries.push(catalogEntry(track));
  }
  return writeCatalog(outDir, entries);
}

/** Adds or replaces one track's entry, as each track lands during a run. The caller holds the catalog lock. */
export async function upsertCatalogEntryLocked(outDir: string, track: TrackInfo): Promise<void> {
  const current = (await readCatalog(outDir))?.tracks ?? [];
  await writeCatalog(outDir, [...current.filter((entry) => entry.id !== track.id), catalogEntry(track)]);
}

async function writeCatalog(outDir: string, entries: CatalogEntry[]): Promise<CatalogInfo> {
  const catalog: CatalogInfo = {
    schema: SCHEMA_VERSION,
    generated_at: new Date().toISOString(),
    tracks: entries.sort((a, b) => a.id.localeCompare(b.id)),
  };
  const file = join(outDir, CATALOG_FILE);
  await writeFileAtomic(file, `${JSON.stringify(catalog, null, 2)}\n`).catch((cause: unknown) => {
    throw outputError(file, 'cannot write', cause);
  });
  return catalog;
}

/**
 * Runs `work` holding the catalog lock: it serialises writers of catalog.json and of track folders,
 * also across processes (CI jobs writing to one folder). The lock is a file holding pid, host and
 * time, put in place complete (written beside it, then linked to its name), so it is never seen
 * empty. It is stale, and taken over, when its holder died on this host, when it names no holder
 * (an empty or unreadable lock, left by an older hlsaudio or a full disk) and is older than
 * catalogLockUnnamedStaleMs, or when it is older than catalogLockStaleMs.
 */
export async function withCatalogLock<T>(outDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(outDir, { recursive: true }).catch((cause: unknown) => {
    throw outputError(outDir, 'cannot create output folder', cause);
  });
  const lock = join(outDir, LOCK_FILE);
  const deadline = Date.now() + packageDefaults.catalogLockWaitMs;
  for (;;) {
    if (await createLock(lock)) break;
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
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Creates the lock with its content in one step (link() of a complete file); false when it is held. */
async function createLock(lock: string): Promise<boolean> {
  const temporary = `${lock}.${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), { flag: 'wx' });
    await link(temporary, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw outputError(lock, 'cannot create lock', error);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The lock's content when its holder is gone (see withCatalogLock); undefined while it may be held. */
async function staleLockContent(lock: string): Promise<string | undefined> {
  const [text, info] = await Promise.all([readFile(lock, 'utf8').catch(() => undefined), stat(lock).catch(() => undefined)]);
  if (text === undefined || !info) return undefined; // just removed: look again
  const age = Date.now() - info.mtimeMs;
  if (age > packageDefaults.catalogLockStaleMs) return text;
  const holder = parseHolder(text);
  if (!holder) return age > packageDefaults.catalogLockUnnamedStaleMs ? text : undefined;
  return holder.host === hostname() && !processIsAlive(holder.pid) ? text : undefined;
}

function parseHolder(text: string): { pid: number; host: string } | undefined {
  try {
    const holder = JSON.parse(text) as { pid?: unknown; host?: unknown };
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host } : undefined;
  } catch {
    return undefined;
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
