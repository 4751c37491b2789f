import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../../src/fs.js';
import { recoverInterruptedBuilds } from '../../../src/package/stale.js';
import { tempDir } from '../../helpers/temp.js';

const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process
const OTHER_HOST = HOST_TAG === '0badc0de' ? '0badc0df' : '0badc0de';

describe('recoverInterruptedBuilds', () => {
  it('removes build folders (and hlsaudio 0.1\'s moved-aside ones) and half-written files of dead runs', async () => {
    const out = tempDir();
    mkdirSync(join(out, `.song.tmp-${HOST_TAG}-${DEAD_PID}-00aa`));
    mkdirSync(join(out, `.gone.old-${HOST_TAG}-${DEAD_PID}-00bb`));
    writeFileSync(join(out, `.gone.old-${HOST_TAG}-${DEAD_PID}-00bb`, 'track.json'), '{}');
    mkdirSync(join(out, 'kept'));
    mkdirSync(join(out, `.kept.old-${HOST_TAG}-${DEAD_PID}-00cc`));
    writeFileSync(join(out, `.catalog.json.${HOST_TAG}-${DEAD_PID}-0123abcd.tmp`), '{"half":');
    mkdirSync(join(out, `.busy.tmp-${HOST_TAG}-${process.ppid}-00dd`)); // a live run's build: left alone
    await recoverInterruptedBuilds(out);
    expect(readdirSync(out).sort()).toEqual([`.busy.tmp-${HOST_TAG}-${process.ppid}-00dd`, 'kept']);
  });

  it('leaves another host\'s builds alone until they are a day old (a pid means nothing there)', async () => {
    const out = tempDir();
    const fresh = `.a.tmp-${OTHER_HOST}-${DEAD_PID}-0001`;
    const old = `.b.tmp-${OTHER_HOST}-${DEAD_PID}-0002`;
    mkdirSync(join(out, fresh));
    mkdirSync(join(out, old));
    const dayAgo = new Date(Date.now() - 25 * 60 * 60 * 1000);
    utimesSync(join(out, old), dayAgo, dayAgo);
    await recoverInterruptedBuilds(out);
    expect(readdirSync(out)).toEqual([fresh]);
  });
});
