import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenFiles } from '../../../src/serve/open-files.js';
import { type FileInfo, fileInfo } from '../../../src/serve/file-cache.js';
import { openFdsUnder } from '../../helpers/fds.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir();
const openFds = (under = `${dir}/`) => openFdsUnder(under);

/** Writes a file by rename (as `package` does) and gives what the file cache would say of it. */
function file(name: string, content: string): FileInfo {
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
  return fileInfo(path, statSync(path));
}

describe('OpenFiles', () => {
  const files = new OpenFiles(150, 2);
  afterAll(() => files.close());

  it('reads ranges on one kept-open handle, and closes it once idle', async () => {
    const a = file('a.bin', '0123456789');
    expect((await files.read(a, 2, 3)).toString()).toBe('234');
    expect((await Promise.all([files.read(a, 0, 1), files.read(a, 9, 1)])).map(String)).toEqual(['0', '9']);
    expect(openFds(a.path)).toBe(1);
    await sleep(500);
    expect(openFds(a.path)).toBe(0);
  });

  it('keeps at most `capacity` idle handles', async () => {
    const before = openFds();
    for (const name of ['b', 'c', 'd', 'e']) await files.read(file(`${name}.bin`, name.repeat(4)), 0, 4);
    await sleep(20); // closing is asynchronous
    expect(openFds()).toBeLessThanOrEqual(before + 2);
  });

  it('reads a rebuilt file (new validator) on a new handle, and fails on a file shorter than asked', async () => {
    const old = file('f.bin', 'old!');
    expect((await files.read(old, 0, 4)).toString()).toBe('old!');
    expect((await files.read(file('f.bin', 'new!'), 0, 4)).toString()).toBe('new!');
    await expect(files.read(file('g.bin', 'ab'), 0, 5)).rejects.toThrow('ended before byte 5');
    // Nothing at the path any more (between the two renames of a rebuild): changed, too.
    await expect(files.read({ ...file('h.bin', ''), path: join(dir, 'missing.bin') }, 0, 1)).rejects.toMatchObject({ code: 'E_FILE_CHANGED' });
  });

  it('refuses to read under stale info a file replaced since (E_FILE_CHANGED), and keeps no handle for it', async () => {
    const stale = file('r.bin', 'first build');
    const rebuilt = file('r.bin', 'second build, longer');
    expect(openFds(stale.path)).toBe(0);
    await expect(files.read(stale, 0, 5)).rejects.toMatchObject({ code: 'E_FILE_CHANGED', file: stale.path });
    expect(openFds(stale.path)).toBe(0); // neither the replaced file (shown as "… (deleted)") nor the new one
    expect((await files.read(rebuilt, 0, 6)).toString()).toBe('second');
  });
});
