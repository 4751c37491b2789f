import { resolve } from 'node:path';
import { rebuildCatalog } from '../catalog/store.js';
import { displayPath } from '../errors.js';

export async function runCatalog(dir: string, options: { json?: boolean }): Promise<void> {
  const catalog = await rebuildCatalog(resolve(dir));
  if (options.json) process.stdout.write(`${JSON.stringify(catalog, null, 2)}\n`);
  else process.stdout.write(`catalog.json: ${catalog.tracks.length} tracks → ${displayPath(resolve(dir, 'catalog.json'))}\n`);
}
