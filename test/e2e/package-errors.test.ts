import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, FIXTURES, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const root = tempDir();
let counter = 0;
const freshOut = () => join(root, `out-${counter++}`);

/** Everything in an output folder, hidden entries included. */
function contents(out: string): string[] {
  return existsSync(out) ? readdirSync(out, { recursive: true }).map(String).sort() : [];
}

describe('bad inputs: one clear line naming the file, a non-zero exit, nothing of the track left', () => {
  it.each([
    ['missing.wav', 'E_INPUT_MISSING', /^✖ .*missing\.wav: cannot read source \(no such file or folder\)$/],
    ['not-audio.txt', 'E_INPUT_NOT_AUDIO', /^✖ .*not-audio\.txt: not an audio file \(ffprobe: Invalid data found when processing input\)$/],
    ['no-audio.mp4', 'E_INPUT_NO_AUDIO', /^✖ .*no-audio\.mp4: has no audio stream \(it has video only\)$/],
    ['empty.wav', 'E_INPUT_EMPTY', /^✖ .*empty\.wav: the audio stream decodes to no samples \(zero duration\)$/],
    ['corrupt.flac', 'E_INPUT_NOT_AUDIO', /^✖ .*corrupt\.flac: not an audio file \(ffprobe: Invalid data found when processing input\)$/],
  ])('%s', async (name, code, line) => {
    const out = freshOut();
    const result = await runCli(['package', join(FIXTURES, name), '-o', out, '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(line);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ built: 0, failed: 1, tracks: [{ status: 'failed', error: { code } }] });
    expect(contents(out)).toEqual(['catalog.json']);
    expect(JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')).tracks).toEqual([]);
  });

  it('builds the good sources of a run and reports the bad one', async () => {
    const out = freshOut();
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), join(FIXTURES, 'not-audio.txt'), '-o', out]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Packaged: 1 built, 0 up to date, 1 failed/);
    expect(readdirSync(out).sort()).toEqual(['catalog.json', 'short-22k-stereo']);
  });

  it('reports an ffmpeg failure with ffmpeg\'s message and removes the temporary folder', async () => {
    const out = freshOut();
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', out], {
      env: { FFMPEG_PATH: join(FAKE_BIN, 'fake-ffmpeg-fail.js') },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^✖ .*short-22k-stereo\.wav: decoding failed: Conversion failed: fake-ffmpeg-fail was asked to fail$/);
    expect(contents(out)).toEqual(['catalog.json']);
  });
});

describe('environment and option errors exit before any work', () => {
  it('says how to install ffmpeg when FFMPEG_PATH does not work (exit 3)', async () => {
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', freshOut()], { env: { FFMPEG_PATH: '/nonexistent/ffmpeg' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^hlsaudio: FFMPEG_PATH=\/nonexistent\/ffmpeg does not run as ffmpeg .*Install ffmpeg \(Debian\/Ubuntu: `apt-get install -y ffmpeg`/);
  });

  it.each([
    [['--segment-duration', '0'], 'hlsaudio: Expected `--segment-duration` to be a number from 1 to 60, got "0"'],
    [['--concurrency', '1.5'], 'hlsaudio: Expected `--concurrency` to be an integer from 1 to 256, got "1.5"'],
    [['--only', 'high,ultra'], 'hlsaudio: Expected `--only` to name profiles of the ladder (high, medium, low, mobile), got unknown "ultra"'],
    [['--shard', '3/2'], 'hlsaudio: Expected `--shard` to be i/n with 1 <= i <= n (such as 1/4), got "3/2"'],
    [['--id', 'Not A Slug'], 'hlsaudio: Expected `--id` to be a URL-safe slug (lower-case letters, digits, - and _), got "Not A Slug"'],
  ])('%j (exit 2)', async (flags, message) => {
    const out = freshOut();
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', out, ...flags]);
    expect(result.stderr.trim()).toBe(message);
    expect(result.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('names the profile file and field of a bad ladder (exit 2)', async () => {
    const ladder = join(root, 'ladder');
    mkdirSync(ladder);
    writeFileSync(join(ladder, 'hifi.json'), JSON.stringify({ quality_id: 'hifi', bitrate_kbps: 256, sample_rate: 44100, channels: 3, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 300 }));
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), '-o', freshOut(), '--profiles', ladder]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^hlsaudio: .*ladder\/hifi\.json: Expected `channels` to be 1 or 2, got number 3$/);
  });

  it('reports sources that would share a track id before any work (exit 2)', async () => {
    const dir = join(root, 'clash');
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b'));
    const wav = readFileSync(join(FIXTURES, 'short-22k-stereo.wav'));
    writeFileSync(join(dir, 'a', 'Intro.wav'), wav);
    writeFileSync(join(dir, 'b', 'intro.wav'), wav);
    const out = freshOut();
    const result = await runCli(['package', dir, '-o', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hlsaudio: Sources would share a track id (rename them, or use --id-from path):\n  track id "intro": ');
    expect(existsSync(out)).toBe(false);
    const byPath = await runCli(['package', dir, '-o', out, '--id-from', 'path', '--only', 'mobile']);
    expect(byPath.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['a-intro', 'b-intro', 'catalog.json']);
  });
});

describe('interruption', () => {
  it('stops on SIGINT: exit 130, ffmpeg children killed, no temporary folder left', async () => {
    const out = freshOut();
    const pids = join(root, 'fake-pids.txt');
    const result = await runCli(['package', join(FIXTURES, 'short-22k-stereo.wav'), join(FIXTURES, 'wav-44k-stereo.wav'), '-o', out], {
      env: { FFMPEG_PATH: join(FAKE_BIN, 'fake-ffmpeg-hang.js'), HLSAUDIO_FAKE_PIDS: pids },
      onSpawn: (child) => {
        void (async () => {
          while (!existsSync(pids) || readFileSync(pids, 'utf8').trim().split('\n').length < 2) await sleep(50);
          child.kill('SIGINT');
        })();
      },
    });
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/Interrupted: 0 built, 0 up to date, 0 failed, 2 not built/);
    const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    for (const pid of children) expect(() => process.kill(pid, 0)).toThrow(); // gone
    expect(contents(out).filter((path) => path.startsWith('.'))).toEqual([]);
    expect(contents(out).filter((path) => !path.startsWith('catalog'))).toEqual([]);
  });
});
