import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOG_FILE } from '../catalog/schema.js';
import { readCatalog } from '../catalog/store.js';
import { type TrackDirectory, type TrackSummary, tracksFromCatalog } from '../realtime/deps.js';

/**
 * The folder's catalog.json as a TrackDirectory for the event server, read again when its mtime
 * changes (checked every `refreshMs`), so tracks that `package` adds while the server runs can be
 * played. Lookups are synchronous: they answer from the last catalog read.
 */
export class CatalogTracks implements TrackDirectory {
  private directory: TrackDirectory = { get: () => undefined };
  private mtimeMs = -1;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly root: string,
    refreshMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  static async open(root: string, refreshMs: number): Promise<CatalogTracks> {
    const tracks = new CatalogTracks(root, refreshMs);
    await tracks.refresh();
    return tracks;
  }

  get(trackId: string): TrackSummary | undefined {
    return this.directory.get(trackId);
  }

  has(trackId: string): boolean {
    return this.directory.get(trackId) !== undefined;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    const mtimeMs = await stat(join(this.root, CATALOG_FILE)).then((info) => info.mtimeMs, () => -1);
    if (mtimeMs === this.mtimeMs) return;
    const catalog = await readCatalog(this.root);
    this.mtimeMs = mtimeMs;
    this.directory = catalog ? tracksFromCatalog(catalog) : { get: () => undefined };
  }
}
