import type { AdaptiveProfile, Codec } from '../profiles/profile.js';

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
export const ENCODER_DELAY_SAMPLES: Record<Codec, number> = { aac: 1024, mp3: 1105 };

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

export interface EncodeOptions {
  /** Drop the encoder's priming by advancing the input (see ENCODER_DELAY_SAMPLES). */
  compensateDelay: boolean;
}

/** Encodes decoded PCM into one profile's packed-audio elementary stream (ADTS or bare MPEG audio). */
export function encodeArgs(input: string, pcm: PcmFormat, profile: AdaptiveProfile, output: string, options: EncodeOptions): string[] {
  const filters = [
    channelMatrix(pcm.channels, profile.channels),
    `aresample=${profile.sample_rate}`,
    options.compensateDelay ? `atrim=start_sample=${ENCODER_DELAY_SAMPLES[profile.codec]}` : undefined,
    'asetpts=N/SR/TB',
  ].filter((filter): filter is string => filter !== undefined);
  const codec =
    profile.codec === 'aac'
      ? ['-c:a', 'aac', '-f', 'adts']
      : ['-c:a', 'libmp3lame', '-f', 'mp3', '-write_xing', '0', '-id3v2_version', '0'];
  return [
    ...QUIET,
    '-f', 'f32le', '-ar', String(pcm.sampleRate), '-ac', String(pcm.channels), '-i', input,
    '-af', filters.join(','),
    '-ac', String(profile.channels), '-ar', String(profile.sample_rate), '-b:a', `${profile.bitrate_kbps}k`,
    '-map_metadata', '-1',
    ...codec, '-y', output,
  ];
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
