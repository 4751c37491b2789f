import { type AdaptiveProfile, type Codec, containerOf } from '../profiles/profile.js';

/**
 * Typed argument builders: the only place that knows ffmpeg's command lines. Every command is quiet
 * except for errors, never reads stdin, and reports progress on stdout (`-progress pipe:1`).
 */

/** Raw interleaved 32-bit float PCM, the one format the decoder writes and every encoder reads. */
export interface PcmFormat {
  sampleRate: number;
  channels: 1 | 2;
}

/** f32le sample frames are 4 bytes per channel. */
export const PCM_BYTES_PER_SAMPLE = 4;

/**
 * Priming samples each encoder puts before the first input sample, as ffmpeg's decoders return them
 * (measured with an impulse on ffmpeg 4.1 and 5.1, at 22.05 and 44.1 kHz: the native AAC encoder
 * 1024, libmp3lame 576 + 529). Packed audio has nowhere to signal them, so by default the encoder
 * input is advanced by this much: every variant then lines up with the source sample for sample, and
 * the decoded length matches the source's.
 */
export const ENCODER_DELAY_SAMPLES: Record<Codec, number> = { aac: 1024, mp3: 1105, flac: 0 };

const QUIET = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1'];

/** ffprobe's warning when a duration is only estimated from the bit rate (it then says so at `-loglevel warning`). */
export const ESTIMATED_DURATION_WARNING = 'Estimating duration from bitrate';

export function probeArgs(input: string): string[] {
  return ['-hide_banner', '-loglevel', 'warning', '-print_format', 'json', '-show_format', '-show_streams', input];
}

/**
 * Decodes the first audio stream of `input` once, to raw PCM at the source's rate (surround
 * downmixed). Damage is judged from what it prints and the length it decodes to (package/source-damage.ts),
 * not by `-xerror`, which stops at the first decoding error but lets a demuxer skip damaged data in silence.
 */
export function decodeArgs(input: string, output: string, pcm: PcmFormat): string[] {
  return [
    ...QUIET,
    '-i', input,
    '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1',
    '-ac', String(pcm.channels), '-ar', String(pcm.sampleRate),
    '-c:a', 'pcm_f32le', '-f', 'f32le', '-y', output,
  ];
}

/**
 * Decodes `input` and measures it with ffmpeg's `ebur128` filter (integrated loudness, range,
 * sample and 4x true peak), printing the filter's running figures as metadata on stdout (its
 * summary goes to the log at info level and to one decimal only).
 */
export function ebur128Args(input: string): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-i', input, '-map', '0:a:0',
    '-af', 'ebur128=peak=true+sample:metadata=1,ametadata=mode=print:file=-',
    '-f', 'null', '-',
  ];
}

export interface EncodeOptions {
  /** Drop the encoder's priming by advancing the input (see ENCODER_DELAY_SAMPLES); packed audio only. */
  compensateDelay: boolean;
  /** The variant's sample rate: the profile's, or for FLAC the source's when lower (bit-exact). */
  sampleRate: number;
  /** FLAC: 16 or 24 bits per sample (the source's depth). */
  bitsPerSample: 16 | 24 | undefined;
  /** Loudness normalisation gain, dB (0: none). */
  gainDb: number;
}

/**
 * Encodes decoded PCM into one profile's variant: a packed-audio elementary stream (ADTS or bare
 * MPEG audio) with its priming cut, or a plain MP4 file that keeps the priming in its edit list,
 * which hlsaudio then fragments (mp4/fragmented-file.ts). ffmpeg's mp4 muxer marks FLAC in MP4
 * experimental (ffmpeg 4.1 to 5.1), hence `-strict experimental`.
 */
export function encodeArgs(input: string, pcm: PcmFormat, profile: AdaptiveProfile, output: string, options: EncodeOptions): string[] {
  const packed = containerOf(profile) === 'packed';
  const filters = [
    channelMatrix(pcm.channels, profile.channels),
    options.gainDb !== 0 ? `volume=${options.gainDb.toFixed(4)}dB:precision=double` : undefined,
    `aresample=${options.sampleRate}`,
    packed && options.compensateDelay ? `atrim=start_sample=${ENCODER_DELAY_SAMPLES[profile.codec]}` : undefined,
    'asetpts=N/SR/TB',
  ].filter((filter): filter is string => filter !== undefined);
  return [
    ...QUIET,
    '-f', 'f32le', '-ar', String(pcm.sampleRate), '-ac', String(pcm.channels), '-i', input,
    '-af', filters.join(','),
    '-ac', String(profile.channels), '-ar', String(options.sampleRate),
    ...codecArgs(profile, packed, options),
    '-map_metadata', '-1',
    '-y', output,
  ];
}

function codecArgs(profile: AdaptiveProfile, packed: boolean, options: EncodeOptions): string[] {
  if (profile.codec === 'mp3') return ['-b:a', `${profile.bitrate_kbps}k`, '-c:a', 'libmp3lame', '-f', 'mp3', '-write_xing', '0', '-id3v2_version', '0'];
  if (profile.codec === 'flac') {
    const depth = options.bitsPerSample === 24 ? ['-sample_fmt', 's32', '-bits_per_raw_sample', '24'] : ['-sample_fmt', 's16'];
    return ['-c:a', 'flac', ...depth, '-strict', 'experimental', '-f', 'mp4'];
  }
  return ['-b:a', `${profile.bitrate_kbps}k`, '-c:a', 'aac', '-f', packed ? 'adts' : 'mp4'];
}

/**
 * Mono sources play as dual mono at unity gain (ffmpeg's own `-ac 2` would lower them by 3 dB);
 * stereo folds to mono as the average of both channels.
 */
function channelMatrix(from: 1 | 2, to: number): string {
  if (from === 1 && to === 2) return 'pan=stereo|c0=c0|c1=c0';
  if (from === 2 && to === 1) return 'pan=mono|c0=0.5*c0+0.5*c1';
  return 'anull';
}
