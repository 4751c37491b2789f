import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOG_FILE, catalogEntry, type CatalogInfo, listedFiles, SCHEMA_VERSION, TEMPORARY_TRACK_FOLDER } from '../catalog/schema.js';
import { ATOMIC_TEMPORARY_FILE } from '../fs.js';
import type { FindingList } from './findings.js';
import type { TrackReport } from './track.js';


/**
 * catalog.json against the track folders: every entry has a track, every track is listed, entries
 * agree with track.json. Leftovers of an interrupted run are warnings: the next `package` run removes them.
 */
export async function checkCatalog(outDir: string, tracks: readonly TrackReport[], findings: FindingList): Promise<void> {
  for (const name of await readdir(outDir)) {
    if (TEMPORARY_TRACK_FOLDER.test(name) || ATOMIC_TEMPORARY_FILE.test(name)) {
      findings.warning('leftover', name, 'temporary file of an interrupted run; the next `hlsaudio package` run removes it');
    }
  }
  let catalog: CatalogInfo;
  try {
    catalog = JSON.parse(await readFile(join(outDir, CATALOG_FILE), 'utf8')) as CatalogInfo;
  } catch (error) {
    findings.error('catalog', CATALOG_FILE, `missing or unreadable (${(error as Error).message}); \`hlsaudio catalog\` rebuilds it`);
    return;
  }
  if (catalog.schema !== SCHEMA_VERSION || !Array.isArray(catalog.tracks)) {
    findings.error('catalog', CATALOG_FILE, `not a catalog.json of schema ${SCHEMA_VERSION}`);
    return;
  }
  const byId = new Map(tracks.map((report) => [report.id, report]));
  for (const entry of catalog.tracks) {
    const report = byId.get(entry.id);
    if (!report) {
      findings.error('catalog', CATALOG_FILE, `lists track "${entry.id}", which has no folder with a track.json`);
      continue;
    }
    if (report.track && JSON.stringify(catalogEntry(report.track)) !== JSON.stringify(entry)) {
      // A run stopped between a track's landing and the catalog's update leaves the previous entry:
      // still playable when every master it names is served (the previous masters are retired ones).
      const served = new Set(listedFiles(report.track));
      const playable = Array.isArray(entry.masters) && entry.masters.every((master) => served.has(master.file));
      const message = `the entry of "${entry.id}" differs from its track.json; \`hlsaudio catalog\` or the next \`hlsaudio package\` run rewrites it`;
      if (playable) findings.warning('catalog', CATALOG_FILE, message);
      else findings.error('catalog', CATALOG_FILE, message);
    }
  }
  const listed = new Set(catalog.tracks.map((entry) => entry.id));
  for (const report of tracks) {
    if (!listed.has(report.id)) findings.warning('catalog', CATALOG_FILE, `does not list track "${report.id}"; \`hlsaudio catalog\` rebuilds it`);
  }
}
