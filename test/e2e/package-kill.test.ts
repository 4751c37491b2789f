import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogInfo, TrackInfo } from '../../src/catalog/schema.js';
import { id3TagLength } from '../../src/hls/id3.js';
import { readMasterPlaylist, readMediaPlaylist } from '../../src/hls/parse.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { request, startServe } from '../helpers/serve.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `kill -9` of a `package --force` rebuild at each step of landing the new build (package/pause.ts
 * names them; HLSAUDIO_TEST_PAUSE_AT stops the process there, so the kill falls exactly on it, not
 * by luck). Whatever the step, every track the catalog lists must be complete: `validate` passes,
 * and `serve` answers every master, variant playlist and segment range of it. The next run then
 * finishes the folder.
 */
const root = tempDir();
const pristine = join(root, 'pristine');
const SOURCES = [join(FIXTURES, 'vorbis-44k-stereo.ogg')]; // 8 s: two segments at 6 s and at 4 s, other bytes
// Two masters (AAC, MP3): the step between rewriting the first and the second exists.
const LADDER = ['--only', 'mobile,low'];
const STEPS = ['placing', 'placed', 'committed', 'cataloged', 'replacing-masters', 'masters-replaced', 'unlisted-expired', 'removing', 'tidied'];

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Runs `package` until it says it paused at `step`, then kills it with SIGKILL. */
async function killAt(dir: string, step: string): Promise<void> {
  const result = await runCli(['package', ...SOURCES, '-o', dir, ...LADDER, '--force', '--segment-duration', '4', '--previous-build-grace', '0'], {
    env: { HLSAUDIO_TEST_PAUSE_AT: step },
    onSpawn: (child) => {
      let stderr = '';
      child.stderr!.on('data', (text: Buffer) => {
        stderr += text.toString();
        if (stderr.includes(`hlsaudio: paused at ${step} `)) child.kill('SIGKILL');
      });
    },
  });
  expect(result.signal, `${step}: ${result.stderr}`).toBe('SIGKILL');
}

/** Every master, variant playlist and segment range of every track the catalog lists, through the real `serve`. */
async function checkServed(dir: string): Promise<number> {
  const server = await startServe(dir);
  let ranges = 0;
  try {
    const catalog = readJson<CatalogInfo>(join(dir, 'catalog.json'));
    expect(catalog.tracks.length).toBe(SOURCES.length);
    for (const entry of catalog.tracks) {
      for (const master of entry.masters) {
        const answer = await request(server.port, 'GET', `/hls/${entry.id}/${master.file}`);
        expect(answer.status, `${entry.id}/${master.file}`).toBe(200);
        for (const variant of readMasterPlaylist(answer.body.toString()).variants) {
          const playlist = await request(server.port, 'GET', `/hls/${entry.id}/${variant.uri}`);
          expect(playlist.status, `${entry.id}/${variant.uri}`).toBe(200);
          let next = 0;
          for (const segment of readMediaPlaylist(playlist.body.toString()).segments) {
            const file = posix.join(posix.dirname(variant.uri), segment.uri);
            const media = readFileSync(join(dir, entry.id, file));
            const start = segment.offset ?? next;
            next = start + segment.length!;
            const answer = await request(server.port, 'GET', `/hls/${entry.id}/${file}`, { headers: { Range: `bytes=${start}-${next - 1}` } });
            expect(answer.status, `${entry.id}/${file}`).toBe(206);
            expect(answer.headers['content-range']).toBe(`bytes ${start}-${next - 1}/${media.length}`);
            expect(id3TagLength(answer.body, 0)).toBeGreaterThan(0);
            expect(answer.body.equals(media.subarray(start, next))).toBe(true);
            ranges++;
          }
        }
      }
      for (const quality of entry.profiles) expect((await request(server.port, 'GET', `/hls/${entry.id}/${quality}/playlist.m3u8`)).status).toBe(200);
    }
  } finally {
    await server.stop();
  }
  return ranges;
}

beforeAll(async () => {
  const built = await runCli(['package', ...SOURCES, '-o', pristine, ...LADDER, '--quiet']);
  expect(built.code).toBe(0);
});

describe('kill -9 at every step of landing a rebuild', () => {
  it.each(STEPS)('at %s: every catalog track is complete (validate, serve); the next run finishes the folder', async (step) => {
    const dir = join(root, step);
    cpSync(pristine, dir, { recursive: true });
    const before = readJson<TrackInfo>(join(dir, 'vorbis-44k-stereo', 'track.json'));
    await killAt(dir, step);

    const report = JSON.parse((await runCli(['validate', dir, '--json'])).stdout);
    expect({ step, errors: [...report.catalog.errors, ...report.tracks.flatMap((t: { errors: unknown[] }) => t.errors)] }).toEqual({ step, errors: [] });
    expect(report.ok).toBe(true);
    expect(await checkServed(dir)).toBe(4); // two variants, two segments each

    const resumed = await runCli(['package', ...SOURCES, '-o', dir, ...LADDER, '--segment-duration', '4', '--previous-build-grace', '0', '--json']);
    expect(resumed.code).toBe(0);
    const after = readJson<TrackInfo>(join(dir, 'vorbis-44k-stereo', 'track.json'));
    expect(after.segment_duration_s).toBe(4);
    expect(after.variants.map((v) => v.file)).not.toEqual(before.variants.map((v) => v.file));
    expect(after.retired).toEqual([]);
    const clean = JSON.parse((await runCli(['validate', dir, '--json'])).stdout);
    expect(clean).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    // Nothing hidden is left but the data folder `serve` made (.hlsaudio): no build folder, lock or temporary file.
    const hidden = readdirSync(dir, { recursive: true }).map(String).filter((path) => !path.startsWith('.hlsaudio') && path.split('/').some((part) => part.startsWith('.')));
    expect(hidden).toEqual([]);
  });
});
