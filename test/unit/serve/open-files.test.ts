import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenFiles } from '../../../src/serve/open-files.js';
import type { FileInfo } from '../../../src/serve/file-cache.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir();
const openFds = () => readdirSync('/proc/self/fd').length;

function file(name: string, content: string, etag = '"1"'): FileInfo {
  const path = join(dir, name);
  writeFileSync(path, content);
  return { path, size: content.length, mtimeMs: 0, etag, lastModified: '' };
}

describe('OpenFiles', () => {
  const files = new OpenFiles(150, 2);
  afterAll(() => files.close());

  it('reads ranges on one kept-open handle, and closes it once idle', async () => {
    const a = file('a.bin', '0123456789');
    const before = openFds();
    expect((await files.read(a, 2, 3)).toString()).toBe('234');
    expect((await Promise.all([files.read(a, 0, 1), files.read(a, 9, 1)])).map(String)).toEqual(['0', '9']);
    expect(openFds()).toBe(before + 1);
    await sleep(500);
    expect(openFds()).toBe(before);
  });

  it('keeps at most `capacity` idle handles', async () => {
    const before = openFds();
    for (const name of ['b', 'c', 'd', 'e']) await files.read(file(`${name}.bin`, name.repeat(4)), 0, 4);
    await sleep(20); // closing is asynchronous
    expect(openFds()).toBeLessThanOrEqual(before + 2);
  });

  it('reads a rebuilt file (new validator) on a new handle, and fails on a file shorter than asked', async () => {
    file('f.bin', 'old!');
    expect((await files.read(file('f.bin', 'new!', '"2"'), 0, 4)).toString()).toBe('new!');
    await expect(files.read(file('g.bin', 'ab'), 0, 5)).rejects.toThrow('ended before byte 5');
    await expect(files.read({ ...file('h.bin', ''), path: join(dir, 'missing.bin') }, 0, 1)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
