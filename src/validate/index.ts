import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import PQueue from 'p-queue';
import { CATALOG_FILE, TRACK_FILE } from '../catalog/schema.js';
import { TRACK_ID } from '../catalog/track-id.js';
import { validateDefaults } from '../defaults.js';
import { displayPath, HlsaudioError } from '../errors.js';
import { locateMediaTools } from '../media/locate.js';
import { checkCatalog } from './catalog.js';
import { type Finding, FindingList } from './findings.js';
import { checkTrack, type TrackReport } from './track.js';

export type { Finding } from './findings.js';

/** What `validate --json` prints (snake_case, like every file hlsaudio writes). */
export interface ValidationReport {
  out_dir: string;
  ok: boolean;
  errors: number;
  warnings: number;
  tracks: { id: string; ok: boolean; errors: Finding[]; warnings: Finding[] }[];
  catalog: { errors: Finding[]; warnings: Finding[] };
}

/** Checks a whole output folder written by `hlsaudio package` (see checkTrack and checkCatalog). */
export async function validateOutput(dir: string): Promise<ValidationReport> {
  const outDir = resolve(dir);
  const info = await stat(outDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new HlsaudioError('E_OPTION', `${displayPath(outDir)}: not a folder`, { file: outDir });
  const tools = await locateMediaTools();
  const entries = await readdir(outDir, { withFileTypes: true });
  const trackIds: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !TRACK_ID.test(entry.name)) continue;
    const hasTrack = await stat(join(outDir, entry.name, TRACK_FILE)).then(() => true, () => false);
    if (hasTrack) trackIds.push(entry.name);
  }
  if (trackIds.length === 0 && !entries.some((entry) => entry.name === CATALOG_FILE)) {
    throw new HlsaudioError('E_OPTION', `${displayPath(outDir)}: not an hlsaudio output folder (no catalog.json and no track folders)`, { file: outDir });
  }
  const queue = new PQueue({ concurrency: validateDefaults.trackConcurrency });
  const reports = await Promise.all(trackIds.sort().map((id) => queue.add(() => checkTrack(outDir, id, tools)))) as TrackReport[];
  const catalog = new FindingList();
  await checkCatalog(outDir, reports, catalog);
  const tracks = reports.map((report) => ({
    id: report.id,
    ok: report.findings.errors.length === 0,
    errors: report.findings.errors,
    warnings: report.findings.warnings,
  }));
  const errors = tracks.reduce((sum, t) => sum + t.errors.length, 0) + catalog.errors.length;
  const warnings = tracks.reduce((sum, t) => sum + t.warnings.length, 0) + catalog.warnings.length;
  return { out_dir: outDir, ok: errors === 0, errors, warnings, tracks, catalog: { errors: catalog.errors, warnings: catalog.warnings } };
}
