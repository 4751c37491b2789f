/**
 * AdaptiveProfile, as the spec declares it (field names are the wire and file format: snake_case),
 * plus an optional `container`. `codec` is the variant's audio codec; `file_extension` the media
 * file's extension. `container` is absent for packed audio (so a spec profile keeps exactly the
 * spec's fields) and `"fmp4"` for fragmented MP4.
 */
export interface AdaptiveProfile {
  quality_id: string;
  bitrate_kbps: number;
  sample_rate: number;
  channels: number;
  codec: Codec;
  file_extension: string;
  bandwidth_estimate_kbps: number;
  container?: 'fmp4';
}

export type Codec = 'aac' | 'mp3' | 'flac';
export const CODECS: readonly Codec[] = ['aac', 'mp3', 'flac'];

/** Packed audio (RFC 8216 section 3.4) or fragmented MP4 (section 3.3). */
export type Container = 'packed' | 'fmp4';
export const CONTAINERS: readonly Container[] = ['packed', 'fmp4'];

export function containerOf(profile: Pick<AdaptiveProfile, 'container'>): Container {
  return profile.container ?? 'packed';
}

/**
 * The containers each codec is packaged in. MP3 stays packed: Chromium's MSE refuses MP3 in fMP4
 * (`isTypeSupported('audio/mp4; codecs="mp4a.40.34"')` is false, DESIGN.md). HLS carries FLAC only in
 * fMP4 (Apple's authoring spec 2.25).
 */
export const CODEC_CONTAINERS: Record<Codec, readonly Container[]> = { aac: ['packed', 'fmp4'], mp3: ['packed'], flac: ['fmp4'] };

/** The media file's extension: the elementary stream's for packed audio, `mp4` for fMP4. */
export function fileExtensionFor(codec: Codec, container: Container): string {
  return container === 'fmp4' ? 'mp4' : codec;
}

/**
 * Players switch only within a codec family (see DESIGN.md, "one master per codec family"), so the
 * family is what groups profiles into master playlists.
 */
export function codecFamily(profile: Pick<AdaptiveProfile, 'codec'>): Codec {
  return profile.codec;
}

/**
 * The RFC 6381 CODECS value of a variant. AAC takes the audio object type read from the encoded
 * stream (2 = AAC-LC); MP3 is `mp4a.40.34` as Apple's HLS tools write it; FLAC is `fLaC`, its MP4
 * sample entry's name (MP4RA, and Apple's authoring spec).
 */
export function codecsString(codec: Codec, aacObjectType?: number): string {
  if (codec === 'mp3') return 'mp4a.40.34';
  if (codec === 'flac') return 'fLaC';
  return `mp4a.40.${aacObjectType ?? 2}`;
}

/** The codec family a CODECS value names (RFC 6381: MP3 is mp4a.40.34, mp4a.6B or mp4a.69), or undefined. */
export function codecOfCodecs(codecs: string): Codec | undefined {
  if (/^mp4a\.(40\.34|6b|69)$/i.test(codecs)) return 'mp3';
  if (/^mp4a\.40\.\d+$/i.test(codecs)) return 'aac';
  if (codecs === 'fLaC') return 'flac';
  return undefined;
}

/** Sample rates an ADTS header can carry (ISO 14496-3 samplingFrequencyIndex 0..12). */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** MPEG audio layer III sample rates by version, and the CBR bit rates (kbps) each version allows. */
export const MP3_SAMPLE_RATES = {
  mpeg1: [44100, 48000, 32000],
  mpeg2: [22050, 24000, 16000],
  mpeg25: [11025, 12000, 8000],
};
export const MP3_BITRATES_KBPS = {
  mpeg1: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  lsf: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

/**
 * Sample rates of a FLAC profile. A FLAC profile's `sample_rate` is the highest rate it keeps: a
 * source at or below it is encoded at its own rate, so that it decodes bit for bit.
 */
export const FLAC_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000];

/** The MP3 CBR bit rates allowed at a sample rate (MPEG-1 above 32 kHz, MPEG-2/2.5 LSF below). */
export function mp3BitratesFor(sampleRate: number): number[] {
  return MP3_SAMPLE_RATES.mpeg1.includes(sampleRate) ? MP3_BITRATES_KBPS.mpeg1 : MP3_BITRATES_KBPS.lsf;
}
