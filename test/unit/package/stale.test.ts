import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverInterruptedBuilds } from '../../../src/package/stale.js';
import { tempDir } from '../../helpers/temp.js';

const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process

describe('recoverInterruptedBuilds', () => {
  it('removes build folders and half-written files of dead runs, and puts back a track moved aside', async () => {
    const out = tempDir();
    mkdirSync(join(out, `.song.tmp-${DEAD_PID}-00aa`));
    mkdirSync(join(out, `.gone.old-${DEAD_PID}-00bb`));
    writeFileSync(join(out, `.gone.old-${DEAD_PID}-00bb`, 'track.json'), '{}');
    mkdirSync(join(out, 'kept'));
    mkdirSync(join(out, `.kept.old-${DEAD_PID}-00cc`));
    writeFileSync(join(out, `.catalog.json.${DEAD_PID}-0123abcd.tmp`), '{"half":');
    mkdirSync(join(out, `.busy.tmp-${process.ppid}-00dd`)); // a live run's build: left alone
    await recoverInterruptedBuilds(out);
    expect(readdirSync(out).sort()).toEqual([`.busy.tmp-${process.ppid}-00dd`, 'gone', 'kept']);
    expect(existsSync(join(out, 'gone', 'track.json'))).toBe(true);
  });
});
