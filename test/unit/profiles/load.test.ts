import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HlsaudioError } from '../../../src/errors.js';
import { withContainer } from '../../../src/profiles/container.js';
import { loadProfiles, selectProfiles } from '../../../src/profiles/load.js';
import { ROOT } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir();
const good = { quality_id: 'hifi', bitrate_kbps: 256, sample_rate: 48000, channels: 2, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 300 };

function write(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

async function loadError(value: unknown): Promise<HlsaudioError> {
  const file = write(`case-${Math.random().toString(36).slice(2)}.json`, value);
  const error = await loadProfiles(file).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HlsaudioError);
  return error as HlsaudioError;
}

describe('loadProfiles', () => {
  it('loads the spec ladder by default: high, medium, low, mobile with the spec values', async () => {
    expect(await loadProfiles()).toEqual([
      { quality_id: 'high', bitrate_kbps: 320, sample_rate: 44100, channels: 2, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 400 },
      { quality_id: 'medium', bitrate_kbps: 192, sample_rate: 44100, channels: 2, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 250 },
      { quality_id: 'low', bitrate_kbps: 128, sample_rate: 22050, channels: 2, codec: 'mp3', file_extension: 'mp3', bandwidth_estimate_kbps: 160 },
      { quality_id: 'mobile', bitrate_kbps: 96, sample_rate: 22050, channels: 2, codec: 'aac', file_extension: 'aac', bandwidth_estimate_kbps: 120 },
    ]);
  });

  it('loads a file holding one profile or an array, and a folder of files, highest bit rate first', async () => {
    expect(await loadProfiles(write('one.json', good))).toEqual([good]);
    const lo = { ...good, quality_id: 'lo', bitrate_kbps: 64, bandwidth_estimate_kbps: 80 };
    expect((await loadProfiles(write('two.json', [lo, good]))).map((p) => p.quality_id)).toEqual(['hifi', 'lo']);
    const folder = join(dir, 'ladder');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.json'), JSON.stringify(lo));
    writeFileSync(join(folder, 'b.json'), JSON.stringify(good));
    writeFileSync(join(folder, 'README.md'), 'not a profile');
    expect((await loadProfiles(folder)).map((p) => p.quality_id)).toEqual(['hifi', 'lo']);
  });

  it.each([
    [{ ...good, bitrate_kbps: '256' }, 'bitrate_kbps', 'Expected `bitrate_kbps` to be an integer from 8 to 512, got "256"'],
    [{ ...good, codec: 'opus' }, 'codec', 'Expected `codec` to be one of "aac", "mp3", "flac", got "opus"'],
    [{ ...good, codec: 'mp3', file_extension: 'mp4', sample_rate: 44100, bitrate_kbps: 192, container: 'fmp4' }, 'container', 'Expected `container` to be "packed" for mp3 (browsers\' MSE refuses MP3 in fMP4 (audio/mp4; codecs="mp4a.40.34")), got "fmp4"'],
    [{ ...good, codec: 'flac', file_extension: 'mp4', container: 'packed', bitrate_kbps: 1000 }, 'container', 'Expected `container` to be "fmp4" for flac (HLS carries FLAC only in fMP4), got "packed"'],
    [{ ...good, container: 'fmp4' }, 'file_extension', 'Expected `file_extension` to be "mp4" for aac in fMP4, got "aac"'],
    [{ ...good, container: 'cmaf' }, 'container', 'Expected `container` to be "packed" or "fmp4", got "cmaf"'],
    [{ ...good, channels: 6 }, 'channels', 'Expected `channels` to be 1 or 2, got number 6'],
    [{ ...good, file_extension: 'm4a' }, 'file_extension', 'Expected `file_extension` to be "aac" for aac packed audio, got "m4a"'],
    [{ ...good, quality_id: 'Hi Fi' }, 'quality_id', 'Expected `quality_id` to be a URL-safe name of 1 to 32 lower-case letters, digits, - or _, got "Hi Fi"'],
    [{ ...good, bandwidth_estimate_kbps: 200 }, 'bandwidth_estimate_kbps', 'Expected `bandwidth_estimate_kbps` to be an integer of at least bitrate_kbps (256), got number 200'],
    [{ ...good, sample_rate: 44000 }, 'sample_rate', 'Expected `sample_rate` to be a aac sample rate in Hz'],
    [{ ...good, codec: 'mp3', file_extension: 'mp3', sample_rate: 22050, bitrate_kbps: 192 }, 'bitrate_kbps', 'Expected `bitrate_kbps` to be an MP3 bit rate allowed at 22050 Hz (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160), got number 192'],
    [{ ...good, bitrate: 256 }, 'bitrate', 'Expected `bitrate` to be absent'],
    [(({ channels: _, ...rest }) => rest)(good), 'channels', 'Expected `channels` to be present, got nothing'],
  ])('names the file and the field of a bad profile (%#)', async (profile, field, message) => {
    const error = await loadError(profile);
    expect(error.code).toBe('E_PROFILE');
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^.*case-\w+\.json: /);
  });

  it('loads the example ladders: lossless (FLAC and AAC in fMP4) and one sample rate', async () => {
    const lossless = await loadProfiles(join(ROOT, 'profiles', 'lossless.json'));
    expect(lossless.map((p) => [p.quality_id, p.codec, p.container])).toEqual([['lossless', 'flac', 'fmp4'], ['high', 'aac', 'fmp4'], ['medium', 'aac', 'fmp4']]);
    const oneRate = await loadProfiles(join(ROOT, 'profiles', 'aac-44k.json'));
    expect(new Set(oneRate.map((p) => p.sample_rate))).toEqual(new Set([44100]));
  });

  it('--container fmp4 moves AAC profiles to fMP4 and leaves MP3 packed', async () => {
    const ladder = withContainer(await loadProfiles(), 'fmp4');
    expect(ladder.map((p) => [p.quality_id, p.container ?? 'packed', p.file_extension])).toEqual([
      ['high', 'fmp4', 'mp4'],
      ['medium', 'fmp4', 'mp4'],
      ['low', 'packed', 'mp3'],
      ['mobile', 'fmp4', 'mp4'],
    ]);
    expect(withContainer(ladder, 'packed').map((p) => p.file_extension)).toEqual(['aac', 'aac', 'mp3', 'aac']);
  });

  it('names the entry of an array and reports JSON and duplicate errors', async () => {
    expect((await loadError([good, { ...good, quality_id: 'x', channels: 0 }])).message).toMatch(/\.json \[1\]: Expected `channels`/);
    expect((await loadError('{"quality_id": ')).message).toMatch(/\.json: not valid JSON/);
    expect((await loadError([])).message).toMatch(/the profile array is empty/);
    expect((await loadError([good, good])).message).toMatch(/quality_id "hifi" is already defined in/);
    const missing = await loadProfiles(join(dir, 'nope.json')).catch((e: HlsaudioError) => e);
    expect(missing).toMatchObject({ code: 'E_PROFILE', message: expect.stringMatching(/nope\.json: cannot read profiles \(no such file or folder\)/) });
  });
});

describe('selectProfiles', () => {
  it('keeps ladder order and refuses unknown names', async () => {
    const ladder = await loadProfiles();
    expect(selectProfiles(ladder, ['mobile', 'high']).map((p) => p.quality_id)).toEqual(['high', 'mobile']);
    expect(() => selectProfiles(ladder, ['ultra'])).toThrow('Expected `--only` to name profiles of the ladder (high, medium, low, mobile), got unknown "ultra"');
  });
});
