/**
 * AdaptiveProfile, as the spec declares it (field names are the wire and file format: snake_case).
 * `codec` is the audio codec of the packed-audio variant; `file_extension` the media file's extension.
 */
export interface AdaptiveProfile {
  quality_id: string;
  bitrate_kbps: number;
  sample_rate: number;
  channels: number;
  codec: Codec;
  file_extension: string;
  bandwidth_estimate_kbps: number;
}

export type Codec = 'aac' | 'mp3';
export const CODECS: readonly Codec[] = ['aac', 'mp3'];

/** The file extension each codec's packed-audio elementary stream takes (RFC 8216 section 3.4). */
export const CODEC_FILE_EXTENSION: Record<Codec, string> = { aac: 'aac', mp3: 'mp3' };

/**
 * Players switch only within a codec family (see DESIGN.md, "one master per codec family"), so the
 * family is what groups profiles into master playlists.
 */
export function codecFamily(profile: Pick<AdaptiveProfile, 'codec'>): Codec {
  return profile.codec;
}

/**
 * The RFC 6381 CODECS value of a packed-audio variant. AAC takes the audio object type read from the
 * ADTS headers of the encoded stream (2 = AAC-LC); MP3 is `mp4a.40.34` as Apple's HLS tools write it.
 */
export function codecsString(codec: Codec, aacObjectType?: number): string {
  if (codec === 'mp3') return 'mp4a.40.34';
  return `mp4a.40.${aacObjectType ?? 2}`;
}

/** The codec family a CODECS value names (RFC 6381: MP3 is mp4a.40.34, mp4a.6B or mp4a.69), or undefined. */
export function codecOfCodecs(codecs: string): Codec | undefined {
  if (/^mp4a\.(40\.34|6b|69)$/i.test(codecs)) return 'mp3';
  if (/^mp4a\.40\.\d+$/i.test(codecs)) return 'aac';
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

/** The MP3 CBR bit rates allowed at a sample rate (MPEG-1 above 32 kHz, MPEG-2/2.5 LSF below). */
export function mp3BitratesFor(sampleRate: number): number[] {
  return MP3_SAMPLE_RATES.mpeg1.includes(sampleRate) ? MP3_BITRATES_KBPS.mpeg1 : MP3_BITRATES_KBPS.lsf;
}
