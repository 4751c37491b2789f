import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageDefaults } from '../defaults.js';
import { describe, displayPath, errnoText, HlsaudioError } from '../errors.js';
import {
  AAC_SAMPLE_RATES,
  CODEC_CONTAINERS,
  CODECS,
  type AdaptiveProfile,
  type Codec,
  type Container,
  CONTAINERS,
  fileExtensionFor,
  FLAC_SAMPLE_RATES,
  MP3_SAMPLE_RATES,
  mp3BitratesFor,
} from './profile.js';

/** The folder of the default ladder shipped with the package (the spec's high, medium, low, mobile). */
export const defaultProfilesDir = fileURLToPath(new URL(`../../${packageDefaults.profilesDir}/`, import.meta.url));

const FIELDS = [
  'quality_id',
  'bitrate_kbps',
  'sample_rate',
  'channels',
  'codec',
  'file_extension',
  'bandwidth_estimate_kbps',
] as const;
/** Fields a profile may leave out: `container` (packed audio, or fMP4 for FLAC, when absent). */
const OPTIONAL_FIELDS = ['container'] as const;
/** FLAC's bit rate follows the music: `bitrate_kbps` is an estimate, up to 24-bit 192 kHz stereo. */
const FLAC_MAX_KBPS = 9216;

/** quality_id becomes a folder name and a URL segment, so it stays a short URL-safe slug. */
export const QUALITY_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Loads a ladder from a profile file (one profile object or an array of them) or from a folder of
 * such `.json` files; with no path, the default ladder. The ladder is returned highest bit rate first.
 */
export async function loadProfiles(path?: string): Promise<AdaptiveProfile[]> {
  const target = resolve(path ?? defaultProfilesDir);
  const info = await stat(target).catch((cause: unknown) => {
    throw new HlsaudioError('E_PROFILE', `${displayPath(target)}: cannot read profiles (${errnoText(cause)})`, {
      file: target,
      cause,
    });
  });
  const files = info.isDirectory()
    ? (await readdir(target))
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => join(target, name))
    : [target];
  if (files.length === 0) {
    throw new HlsaudioError('E_PROFILE', `${displayPath(target)}: no .json profile files in this folder`, { file: target });
  }
  const ladder: { profile: AdaptiveProfile; file: string }[] = [];
  for (const file of files) {
    for (const profile of await readProfileFile(file)) {
      const twin = ladder.find((entry) => entry.profile.quality_id === profile.quality_id);
      if (twin) {
        throw new HlsaudioError(
          'E_PROFILE',
          `${displayPath(file)}: quality_id "${profile.quality_id}" is already defined in ${displayPath(twin.file)}`,
          { file, field: 'quality_id' },
        );
      }
      ladder.push({ profile, file });
    }
  }
  return sortLadder(ladder.map((entry) => entry.profile));
}

/** Highest bit rate first; ties by quality_id so every run orders a ladder the same way. */
export function sortLadder(profiles: AdaptiveProfile[]): AdaptiveProfile[] {
  return [...profiles].sort((a, b) => b.bitrate_kbps - a.bitrate_kbps || a.quality_id.localeCompare(b.quality_id));
}

/** `--only high,mobile`: the named profiles, in ladder order; an unknown name is an option error. */
export function selectProfiles(ladder: AdaptiveProfile[], only: string[] | undefined): AdaptiveProfile[] {
  if (!only || only.length === 0) return ladder;
  const known = ladder.map((profile) => profile.quality_id);
  const unknown = only.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new HlsaudioError(
      'E_OPTION',
      `Expected \`--only\` to name profiles of the ladder (${known.join(', ')}), got unknown ${unknown.map((id) => `"${id}"`).join(', ')}`,
      { field: '--only' },
    );
  }
  return ladder.filter((profile) => only.includes(profile.quality_id));
}

async function readProfileFile(file: string): Promise<AdaptiveProfile[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new HlsaudioError('E_PROFILE', `${displayPath(file)}: cannot read profile file (${errnoText(cause)})`, { file, cause });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new HlsaudioError('E_PROFILE', `${displayPath(file)}: not valid JSON (${(cause as Error).message})`, { file, cause });
  }
  const items = Array.isArray(data) ? data : [data];
  if (items.length === 0) {
    throw new HlsaudioError('E_PROFILE', `${displayPath(file)}: the profile array is empty`, { file });
  }
  return items.map((item, index) => validateProfile(item, file, Array.isArray(data) ? index : undefined));
}

/** Checks one profile object field by field; the first problem found is thrown with file and field. */
export function validateProfile(value: unknown, file: string, index?: number): AdaptiveProfile {
  const where = index === undefined ? displayPath(file) : `${displayPath(file)} [${index}]`;
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new HlsaudioError('E_PROFILE', `${where}: Expected \`${field}\` to be ${expected}, got ${describe(got)}`, {
      file,
      field,
    });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('profile', 'an object with the fields ' + FIELDS.join(', '), value);
  }
  const record = value as Record<string, unknown>;
  for (const field of FIELDS) {
    if (!(field in record)) fail(field, 'present', undefined);
  }
  const known: readonly string[] = [...FIELDS, ...OPTIONAL_FIELDS];
  const extra = Object.keys(record).filter((key) => !known.includes(key));
  if (extra.length > 0) fail(extra[0]!, `absent (a profile has only ${known.join(', ')})`, record[extra[0]!]);

  const quality = record.quality_id;
  if (typeof quality !== 'string' || !QUALITY_ID.test(quality)) {
    fail('quality_id', 'a URL-safe name of 1 to 32 lower-case letters, digits, - or _', quality);
  }
  const codec = record.codec;
  if (typeof codec !== 'string' || !(CODECS as readonly string[]).includes(codec)) {
    fail('codec', `one of ${CODECS.map((c) => `"${c}"`).join(', ')}`, codec);
  }
  const typedCodec = codec as Codec;
  const container = containerField(record.container, typedCodec, fail);
  const sampleRates = typedCodec === 'aac' ? AAC_SAMPLE_RATES.filter((rate) => rate >= 8000) : typedCodec === 'flac' ? FLAC_SAMPLE_RATES : Object.values(MP3_SAMPLE_RATES).flat();
  if (!isInteger(record.sample_rate) || !sampleRates.includes(record.sample_rate)) {
    fail('sample_rate', `a ${typedCodec} sample rate in Hz (${[...sampleRates].sort((a, b) => a - b).join(', ')})`, record.sample_rate);
  }
  const sampleRate = record.sample_rate as number;
  if (typedCodec === 'mp3') {
    const allowed = mp3BitratesFor(sampleRate);
    if (!isInteger(record.bitrate_kbps) || !allowed.includes(record.bitrate_kbps)) {
      fail('bitrate_kbps', `an MP3 bit rate allowed at ${sampleRate} Hz (${allowed.join(', ')})`, record.bitrate_kbps);
    }
  } else {
    const max = typedCodec === 'flac' ? FLAC_MAX_KBPS : 512;
    if (!isInteger(record.bitrate_kbps) || record.bitrate_kbps < 8 || record.bitrate_kbps > max) {
      fail('bitrate_kbps', `an integer from 8 to ${max}`, record.bitrate_kbps);
    }
  }
  if (record.channels !== 1 && record.channels !== 2) fail('channels', '1 or 2', record.channels);
  const extension = fileExtensionFor(typedCodec, container);
  if (record.file_extension !== extension) {
    fail('file_extension', `"${extension}" for ${typedCodec} ${container === 'fmp4' ? 'in fMP4' : 'packed audio'}`, record.file_extension);
  }
  const bitrate = record.bitrate_kbps as number;
  if (!isInteger(record.bandwidth_estimate_kbps) || record.bandwidth_estimate_kbps < bitrate) {
    fail('bandwidth_estimate_kbps', `an integer of at least bitrate_kbps (${bitrate})`, record.bandwidth_estimate_kbps);
  }
  return {
    quality_id: quality as string,
    bitrate_kbps: bitrate,
    sample_rate: sampleRate,
    channels: record.channels as number,
    codec: typedCodec,
    file_extension: extension,
    bandwidth_estimate_kbps: record.bandwidth_estimate_kbps as number,
    ...(container === 'fmp4' ? { container } : {}),
  };
}

/** `container`, defaulting to the codec's first (packed, or fMP4 for FLAC); a codec's impossible container is refused with the reason. */
function containerField(value: unknown, codec: Codec, fail: (field: string, expected: string, got: unknown) => never): Container {
  const allowed = CODEC_CONTAINERS[codec];
  if (value === undefined) return allowed[0]!;
  if (typeof value !== 'string' || !(CONTAINERS as readonly string[]).includes(value)) {
    return fail('container', CONTAINERS.map((c) => `"${c}"`).join(' or '), value);
  }
  if (!allowed.includes(value as Container)) {
    const why = codec === 'mp3' ? 'browsers\' MSE refuses MP3 in fMP4 (audio/mp4; codecs="mp4a.40.34")' : 'HLS carries FLAC only in fMP4';
    return fail('container', `"${allowed[0]}" for ${codec} (${why})`, value);
  }
  return value as Container;
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}
