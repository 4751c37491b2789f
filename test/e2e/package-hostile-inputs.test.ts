import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrackInfo } from '../../src/catalog/schema.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A bad source or a full disk costs only what it must: an unreadable folder, a damaged source, a
 * disk that fills up, and the lock such a run leaves behind.
 */
const root = tempDir();
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const hidden = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((path) => path.split('/').some((part) => part.startsWith('.')));

describe('an unreadable folder among the inputs', () => {
  it('is one failed input with its reason; the rest is built and --json still printed', async () => {
    const music = join(root, 'music');
    mkdirSync(join(music, 'open'), { recursive: true });
    mkdirSync(join(music, 'locked'));
    cpSync(join(FIXTURES, 'short-22k-stereo.wav'), join(music, 'open', 'short-22k-stereo.wav'));
    cpSync(join(FIXTURES, 'vorbis-44k-stereo.ogg'), join(music, 'locked', 'vorbis-44k-stereo.ogg'));
    chmodSync(join(music, 'locked'), 0o000);
    const out = join(root, 'out-locked');
    try {
      // Tests run as root, whom chmod 000 does not stop: the CLI runs without the capabilities that
      // let root read any folder (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so the kernel's EACCES is real.
      const result = await runCli(['package', music, '-o', out, '--json', '--only', 'mobile'], {
        prefix: ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'],
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^✖ .*music\/locked: cannot read folder \(permission denied\); its audio files were not looked for$/);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ built: 1, failed: 1 });
      expect(summary.tracks).toEqual([
        { id: 'locked', source: expect.stringMatching(/music\/locked$/), status: 'failed', error: { code: 'E_INPUT_MISSING', message: expect.stringContaining('cannot read folder (permission denied)') } },
        expect.objectContaining({ id: 'short-22k-stereo', status: 'built' }),
      ]);
      expect(existsSync(join(out, 'short-22k-stereo', 'track.json'))).toBe(true);
    } finally {
      chmodSync(join(music, 'locked'), 0o755);
    }
  });
});

describe('a damaged source', () => {
  const music = join(root, 'damaged');
  mkdirSync(music, { recursive: true });
  // 10 KB zeroed in the middle of an 8 s Ogg Vorbis file: ffmpeg reports CRC mismatches, exits 0,
  // and decodes 6 s.
  const ogg = readFileSync(join(FIXTURES, 'vorbis-44k-stereo.ogg'));
  ogg.fill(0, 30_000, 40_000);
  const damaged = join(music, 'damaged.ogg');
  writeFileSync(damaged, ogg);

  it('fails with E_INPUT_CORRUPT, naming what is wrong, and leaves nothing of the track', async () => {
    const out = join(root, 'out-damaged');
    const result = await runCli(['package', damaged, '-o', out, '--json', '--only', 'mobile']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^✖ .*damaged\.ogg: damaged source: it decodes to 6\.0 s of the 8\.0 s its container announces; ffmpeg reported \d+ decoding errors \(first: "\[ogg\] CRC mismatch!"\); --accept-damaged builds it anyway and records the damage in track\.json$/,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ built: 0, failed: 1, tracks: [{ id: 'damaged', status: 'failed', error: { code: 'E_INPUT_CORRUPT' } }] });
    expect(readdirSync(out)).toEqual(['catalog.json']);
  });

  it('is built with --accept-damaged, which records the damage in track.json; validate warns of it', async () => {
    const out = join(root, 'out-accepted');
    const result = await runCli(['package', damaged, '-o', out, '--json', '--only', 'mobile', '--accept-damaged']);
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toMatch(/^⚠ .*damaged\.ogg: damaged source built anyway \(--accept-damaged\): it decodes to 6\.0 s of the 8\.0 s/);
    const damage = readJson<TrackInfo>(join(out, 'damaged', 'track.json')).damage;
    expect(damage).toEqual({ decoded_s: expect.closeTo(6, 0), probed_s: 8, decoder_errors: expect.any(Number), first_error: '[ogg] CRC mismatch!' });
    expect(damage!.decoder_errors).toBeGreaterThan(0);
    expect(JSON.parse(result.stdout).tracks[0]).toMatchObject({ status: 'built', damage });
    const validated = JSON.parse((await runCli(['validate', out, '--json'])).stdout);
    expect(validated).toMatchObject({ ok: true, errors: 0, warnings: 1 });
    expect(validated.tracks[0].warnings[0].rule).toBe('damaged-source');
  });

  it('does not take a duration ffprobe only estimated for damage (VBR MP3 without a Xing header)', async () => {
    const vbr = join(music, 'vbr-no-xing.mp3');
    const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=5,volume=eval=frame:volume=if(lt(t\\,2.5)\\,0.01\\,1)', '-c:a', 'libmp3lame', '-q:a', '0', '-write_xing', '0', vbr]);
    expect(made.status).toBe(0);
    const result = await runCli(['package', vbr, '-o', join(root, 'out-vbr'), '--json', '--only', 'mobile']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('a full disk', () => {
  const disk = join(root, 'disk');
  mkdirSync(disk);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', disk]);
  afterAll(() => {
    spawnSync('umount', [disk]);
  });
  const fill = () => {
    const filler = join(disk, 'filler');
    try {
      for (let i = 0; ; i++) writeFileSync(filler, Buffer.alloc(4096), { flag: 'a' });
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    return filler;
  };

  it('is the output error (exit 4) naming the folder, leaves no lock, and the next run does not wait', async () => {
    expect(mounted.status, mounted.stderr.toString()).toBe(0); // a tmpfs of 512 KiB: root mounts it
    const out = join(disk, 'out');
    const filler = fill();
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', out, '--only', 'mobile']);
    expect(result.stderr.trim()).toMatch(/^hlsaudio: .*disk\/out\/\.catalog\.lock: cannot create lock \(no space left on the device\)$/);
    expect(result.code).toBe(4);
    expect(readdirSync(out)).toEqual([]);
    rmSync(filler);
    const started = performance.now();
    const again = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', out, '--only', 'mobile', '--quiet']);
    expect(again.code).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000); // no 30 s wait for a lock
    rmSync(out, { recursive: true });
  });

  it('fails the tracks that do not fit with E_OUTPUT (exit 4), --json printed, nothing half-written left', async () => {
    const out = join(disk, 'out2');
    // Room for the catalog, not for the decoded PCM of an 8 s source (2.8 MB).
    const result = await runCli(['package', join(FIXTURES, 'vorbis-44k-stereo.ogg'), '-o', out, '--only', 'mobile', '--json']);
    expect(result.code).toBe(4);
    const summary = JSON.parse(result.stdout);
    expect(summary.tracks).toEqual([
      expect.objectContaining({ id: 'vorbis-44k-stereo', status: 'failed', error: { code: 'E_OUTPUT', message: expect.stringMatching(/disk\/out2: cannot write vorbis-44k-stereo \(no space left on the device\)$/) } }),
    ]);
    expect(hidden(out)).toEqual([]);
    expect(readJson<{ tracks: unknown[] }>(join(out, 'catalog.json')).tracks).toEqual([]);
  });
});

describe('a lock left empty by an earlier run', () => {
  it('is taken over at once, not after catalogLockStaleMs (30 s)', async () => {
    const out = join(root, 'out-lock');
    mkdirSync(out);
    writeFileSync(join(out, '.catalog.lock'), '');
    const twoSecondsAgo = new Date(Date.now() - 2000);
    utimesSync(join(out, '.catalog.lock'), twoSecondsAgo, twoSecondsAgo);
    const started = performance.now();
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', out, '--only', 'mobile', '--quiet']);
    expect(result.code).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(existsSync(join(out, '.catalog.lock'))).toBe(false);
  });
});
