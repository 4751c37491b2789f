import { randomBytes } from 'node:crypto';
import { HOST_TAG } from '../fs.js';
import type { LoudnessFigures } from '../analysis/loudness-meter.js';
import type { AdaptiveProfile, Codec, Container } from '../profiles/profile.js';

/**
 * The files `package` writes and `serve` and `validate` read. Field names are snake_case like the
 * spec's wire format. Bump SCHEMA_VERSION on any change a reader must know about.
 *
 * Schema 2 added fMP4 (`container`, `init`), loudness and waveform peaks. Readers still take schema
 * 1 (READABLE_SCHEMAS): packed audio only, no loudness, no peaks; the next `package` run rebuilds
 * such tracks (the schema is part of the cache key).
 */
export const SCHEMA_VERSION = 2;
export const READABLE_SCHEMAS: readonly number[] = [1, 2];
export const TRACK_FILE = 'track.json';
export const CATALOG_FILE = 'catalog.json';
export const MAIN_MASTER_FILE = 'master.m3u8';
export const VARIANT_PLAYLIST_FILE = 'playlist.m3u8';
/** The one media file of a variant, beside its playlist: `audio.<file_extension>`. */
export const MEDIA_FILE_STEM = 'audio';
/** A track's waveform peaks (audiowaveform JSON), served at /hls/:track_id/peaks.json. */
export const PEAKS_FILE = 'peaks.json';

/**
 * A track folder being built (`.<id>.tmp-<host tag>-<pid>-<hex>`) or a previous build moved aside
 * while the new one is renamed in (`.<id>.old-…`). Hidden, so no reader takes it for a track.
 */
export const TEMPORARY_TRACK_FOLDER = /^\.(.+)\.(tmp|old)-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

export function temporaryTrackFolder(id: string, kind: 'tmp' | 'old'): string {
  return `.${id}.${kind}-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A master playlist and the profiles (one codec family, one container) a player may switch among in it. */
export interface MasterInfo {
  file: string;
  codec_family: Codec;
  /** Absent in schema 1: packed. */
  container?: Container;
  /** quality_ids in the order the master lists them. */
  profiles: string[];
}

/** The waveform peaks file of a track (audiowaveform JSON, version 2). */
export interface PeaksInfo {
  /** Path relative to the track folder. */
  file: string;
  samples_per_pixel: number;
  bits: number;
  /** Pixels (min/max pairs per channel). */
  length: number;
}

/** Loudness normalisation asked for with `--loudness-target`. */
export interface NormalizationInfo {
  target_lufs: number;
  true_peak_ceiling_dbtp: number;
  /** `normalize` raises or lowers to the target; `attenuate` only lowers. */
  mode: 'normalize' | 'attenuate';
}

/**
 * How a variant sounds: measured on the decoded variant when the track was normalised, otherwise
 * the source's figures for the variant's channels (a mono source played as dual mono is 3.01 LU
 * louder; a stereo source folded to mono is measured folded).
 */
export interface VariantLoudness {
  integrated_lufs: number | null;
  true_peak_dbtp: number | null;
  /** Gain applied at encoding, dB (0 without normalisation). */
  gain_db: number;
  /** Whether a true-peak limiter shaped the variant. */
  limited: boolean;
  measured: 'decoded-variant' | 'source';
}

/** What a player needs to set its volume (ReplayGain style) or know that the track was normalised. */
export interface PlaybackLoudness {
  integrated_lufs: number | null;
  true_peak_dbtp: number | null;
  range_lu: number | null;
  /** The target the variants were normalised to; null when the audio is as the source. */
  normalized_to_lufs: number | null;
}

export interface VariantInfo {
  quality_id: string;
  /** Paths relative to the track folder. */
  playlist: string;
  file: string;
  master: string;
  bytes: number;
  segment_count: number;
  duration_ms: number;
  /** Measured on the written segments, ID3 tags included (RFC 8216 section 4.1), bits per second. */
  peak_bitrate_bps: number;
  average_bitrate_bps: number;
  codecs: string;
  sample_rate: number;
  channels: number;
  /** Largest distance of a segment boundary from its nominal time (k x segment duration). */
  max_boundary_drift_ms: number;
  /** Absent in schema 1: packed. */
  container?: Container;
  /** fMP4: the init segment's byte range (EXT-X-MAP). */
  init?: { offset: number; length: number };
  /** FLAC: bits per sample (16 or 24). */
  bits_per_sample?: number;
  /** Absent in schema 1. */
  loudness?: VariantLoudness;
}

export interface TrackInfo {
  schema: number;
  id: string;
  title: string;
  artist: string | null;
  album: string | null;
  duration_ms: number;
  source: {
    file: string;
    size_bytes: number;
    sha256: string;
    format: string;
    codec: string;
    sample_rate: number;
    channels: number;
    /** Integer PCM sources; null for lossy and float ones; absent in schema 1. */
    bits_per_sample?: number | null;
  };
  segment_duration_s: number;
  target_duration_s: number;
  encoder_delay_compensated: boolean;
  profiles: AdaptiveProfile[];
  masters: MasterInfo[];
  variants: VariantInfo[];
  /** Largest boundary misalignment between any two variants (frames of different lengths cannot all align). */
  max_cross_variant_drift_ms: number;
  /** The source as decoded, EBU R128; absent in schema 1. */
  loudness?: LoudnessFigures;
  /** null: the audio is as the source; absent in schema 1. */
  normalization?: NormalizationInfo | null;
  /** Absent in schema 1. */
  peaks?: PeaksInfo;
  build: {
    hlsaudio_version: string;
    ffmpeg: string;
    /** Hash of everything the output depends on; an unchanged key lets a rerun skip the track. */
    cache_key: string;
    built_at: string;
  };
}

export interface CatalogEntry {
  id: string;
  title: string;
  artist: string | null;
  album: string | null;
  duration_ms: number;
  /** Path of the main master, relative to the output folder. */
  master: string;
  masters: MasterInfo[];
  profiles: string[];
  /** Of the main master's first variant; null for a track of schema 1. */
  loudness: PlaybackLoudness | null;
}

export interface CatalogInfo {
  schema: number;
  generated_at: string;
  tracks: CatalogEntry[];
}

export function catalogEntry(track: TrackInfo): CatalogEntry {
  return {
    id: track.id,
    title: track.title,
    artist: track.artist,
    album: track.album,
    duration_ms: track.duration_ms,
    master: `${track.id}/${track.masters[0]?.file ?? MAIN_MASTER_FILE}`,
    masters: track.masters,
    profiles: track.profiles.map((profile) => profile.quality_id),
    loudness: playbackLoudness(track, track.masters[0]?.profiles[0]),
  };
}

/** The loudness of one variant as a player needs it; null when the track predates loudness (schema 1). */
export function playbackLoudness(track: TrackInfo, qualityId: string | undefined): PlaybackLoudness | null {
  const variant = track.variants.find((candidate) => candidate.quality_id === qualityId);
  if (!track.loudness || !variant?.loudness) return null;
  return {
    integrated_lufs: variant.loudness.integrated_lufs,
    true_peak_dbtp: variant.loudness.true_peak_dbtp,
    range_lu: track.loudness.range_lu,
    normalized_to_lufs: track.normalization?.target_lufs ?? null,
  };
}
