import { stat } from 'node:fs/promises';
import { displayPath, errnoText, HlsaudioError } from '../errors.js';
import { ESTIMATED_DURATION_WARNING, probeArgs } from './args.js';
import type { MediaTools } from './locate.js';
import { runMediaTool } from './run.js';

export interface SourceTags {
  title?: string;
  artist?: string;
  album?: string;
}

export interface ProbedSource {
  file: string;
  sizeBytes: number;
  formatName: string;
  /** Container duration when ffprobe knows it; the exact length comes from decoding. */
  durationSec: number | undefined;
  /** True when ffprobe only estimated that duration from the bit rate (no index, no frame count): it may be far off. */
  durationEstimated: boolean;
  audio: {
    codec: string;
    sampleRate: number;
    channels: number;
    /** Bits per sample of an integer PCM source (WAV, FLAC, ALAC…); undefined for lossy and float sources. */
    bitsPerSample: number | undefined;
  };
  tags: SourceTags;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  sample_fmt?: string;
  bits_per_sample?: number;
  bits_per_raw_sample?: string;
  duration?: string;
  tags?: Record<string, string>;
  disposition?: { attached_pic?: number };
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
}

/**
 * Reads what hlsaudio needs to know of a source before decoding it. Each way a source can be unusable
 * is its own error code and names the file: missing, not media, no audio stream, zero duration.
 */
export async function probeSource(tools: MediaTools, file: string, signal?: AbortSignal): Promise<ProbedSource> {
  const shown = displayPath(file);
  const info = await stat(file).catch((cause: unknown) => {
    throw new HlsaudioError('E_INPUT_MISSING', `${shown}: cannot read source (${errnoText(cause)})`, { file, cause });
  });
  if (!info.isFile()) throw new HlsaudioError('E_INPUT_MISSING', `${shown}: not a file`, { file });
  if (info.size === 0) throw new HlsaudioError('E_INPUT_NOT_AUDIO', `${shown}: not an audio file (it is empty)`, { file });
  let output: FfprobeOutput;
  let warnings = '';
  try {
    const onStderr = (text: string) => (warnings = (warnings + text).slice(-4096));
    output = JSON.parse(await runMediaTool(tools.ffprobe.path, probeArgs(file), { file: shown, what: 'probing', signal, onStderr })) as FfprobeOutput;
  } catch (cause) {
    if ((cause as HlsaudioError).code !== 'E_FFMPEG') throw cause;
    const reason = (cause as HlsaudioError).message.split('probing failed: ')[1] ?? 'ffprobe cannot read it';
    throw new HlsaudioError('E_INPUT_NOT_AUDIO', `${shown}: not an audio file (ffprobe: ${stripPath(reason, file)})`, { file, cause });
  }
  const streams = output.streams ?? [];
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  if (!audio) {
    const kinds = streams.filter((s) => !s.disposition?.attached_pic).map((s) => s.codec_type ?? 'unknown');
    const has = kinds.length > 0 ? `it has ${[...new Set(kinds)].join(' and ')} only` : 'it has no streams';
    throw new HlsaudioError('E_INPUT_NO_AUDIO', `${shown}: has no audio stream (${has})`, { file });
  }
  const sampleRate = Number(audio.sample_rate);
  const channels = audio.channels ?? 0;
  if (!(sampleRate > 0) || !(channels > 0)) {
    throw new HlsaudioError('E_INPUT_NOT_AUDIO', `${shown}: the audio stream has no sample rate or channel count ffmpeg can read`, { file });
  }
  const duration = Number(audio.duration ?? output.format?.duration);
  if (Number.isFinite(duration) && duration <= 0) {
    throw new HlsaudioError('E_INPUT_EMPTY', `${shown}: the audio stream has zero duration`, { file });
  }
  return {
    file,
    sizeBytes: info.size,
    formatName: output.format?.format_name ?? 'unknown',
    durationSec: Number.isFinite(duration) ? duration : undefined,
    durationEstimated: warnings.includes(ESTIMATED_DURATION_WARNING),
    audio: { codec: audio.codec_name ?? 'unknown', sampleRate, channels, bitsPerSample: integerBits(audio) },
    tags: readTags(output.format?.tags, audio.tags),
  };
}

/** ffprobe gives the depth as bits_per_raw_sample (FLAC, ALAC) or bits_per_sample (PCM); float and lossy formats have neither. */
function integerBits(stream: FfprobeStream): number | undefined {
  if (stream.sample_fmt?.startsWith('flt') || stream.sample_fmt?.startsWith('dbl')) return undefined;
  const bits = Number(stream.bits_per_raw_sample) || stream.bits_per_sample || 0;
  return bits > 0 ? bits : undefined;
}

/** Title, artist and album from container or stream tags (Ogg and Opus keep them on the stream), any case. */
function readTags(...sources: (Record<string, string> | undefined)[]): SourceTags {
  const found = new Map<string, string>();
  for (const source of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      const name = key.toLowerCase().replace('albumartist', 'album_artist');
      if (value.trim() && !found.has(name)) found.set(name, value.trim());
    }
  }
  const tags: SourceTags = {};
  const title = found.get('title');
  const artist = found.get('artist') ?? found.get('album_artist');
  const album = found.get('album');
  if (title) tags.title = title;
  if (artist) tags.artist = artist;
  if (album) tags.album = album;
  return tags;
}

/** ffprobe starts its messages with the path; the message already names the file. */
function stripPath(reason: string, file: string): string {
  return reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason;
}
