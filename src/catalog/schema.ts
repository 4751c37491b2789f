import { randomBytes } from 'node:crypto';
import { HOST_TAG } from '../fs.js';
import type { LoudnessFigures } from '../analysis/loudness-meter.js';
import type { AdaptiveProfile, Codec, Container } from '../profiles/profile.js';

/**
 * The files `package` writes and `serve` and `validate` read. Field names are snake_case like the
 * spec's wire format. Bump SCHEMA_VERSION on any change a reader must know about.
 *
 * Schema 2 added fMP4 (`container`, `init`), loudness and waveform peaks, beside the optional
 * `retired` and `damage` (which hlsaudio writing schema 1 also wrote). Readers still take schema 1
 * (READABLE_SCHEMAS): packed audio only, no loudness, no peaks; the next `package` run rebuilds such
 * tracks (the schema is part of the cache key).
 */
export const SCHEMA_VERSION = 2;
export const READABLE_SCHEMAS: readonly number[] = [1, 2];
export const TRACK_FILE = 'track.json';
export const CATALOG_FILE = 'catalog.json';
export const MAIN_MASTER_FILE = 'master.m3u8';
/** The spec's route `/hls/<id>/<quality>/playlist.m3u8`: `serve` answers it with the variant's current playlist. */
export const VARIANT_PLAYLIST_FILE = 'playlist.m3u8';
/** The one media file of a variant, beside its playlist: `audio.<content hash>.<file_extension>`. */
export const MEDIA_FILE_STEM = 'audio';
/** A variant playlist as written: `playlist.<content hash>.m3u8` (`serve` also answers `playlist.m3u8` with it). */
export const VARIANT_PLAYLIST_STEM = 'playlist';
/**
 * A track's waveform peaks (audiowaveform JSON) as written: `peaks.<content hash>.json`, like media,
 * so that a rebuild lands it beside the previous one and retires that one. `serve` also answers the
 * fixed route `/hls/:track_id/peaks.json` (PEAKS_ROUTE_FILE) with the current one.
 */
export const PEAKS_FILE_STEM = 'peaks';
/** The fixed name of a track's current peaks at `/hls/:track_id/peaks.json` (issue 12's route). */
export const PEAKS_ROUTE_FILE = 'peaks.json';

/** Hex digits of the SHA-256 of a file's bytes in its name: 48 bits, no collision among a variant's builds. */
const CONTENT_HASH_HEX_DIGITS = 12;

/**
 * The name of a file whose bytes never change under it: `<stem>.<first hex digits of the SHA-256 of
 * its bytes>.<extension>`. A rebuild that changes the bytes writes a new name, so a player holding
 * the previous playlist keeps fetching the previous bytes, and caches may keep such a file forever.
 */
export function contentAddressedName(stem: string, sha256Hex: string, extension: string): string {
  return `${stem}.${sha256Hex.slice(0, CONTENT_HASH_HEX_DIGITS)}.${extension}`;
}

/** A name contentAddressedName makes (the hash CONTENT_HASH_HEX_DIGITS long). */
const CONTENT_ADDRESSED_NAME = /^[a-z0-9_-]+\.[0-9a-f]{12}\.[a-z0-9]+$/;

/** Whether a file's name (a path's last part) carries its content hash: its bytes never change. */
export function isContentAddressed(path: string): boolean {
  return CONTENT_ADDRESSED_NAME.test(path.split('/').pop() ?? path);
}

/**
 * A track being built (`.<id>.tmp-<host tag>-<pid>-<hex>`), beside the track folder; `old` names
 * the previous build that hlsaudio 0.1 moved aside while renaming a rebuild in. Hidden, so no
 * reader takes it for a track.
 */
export const TEMPORARY_TRACK_FOLDER = /^\.(.+)\.(tmp|old)-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

export function temporaryTrackFolder(id: string): string {
  return `.${id}.tmp-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
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

/**
 * A file of an earlier build that a player may still hold a playlist for: kept and served until
 * `expires_at` (the rebuild's time plus the grace, `--previous-build-grace`), then removed by the
 * next `package` run over the folder.
 */
export interface RetiredFile {
  /** Relative to the track folder, like `variants[].file`. */
  file: string;
  /** ISO 8601. */
  expires_at: string;
}

/** What `--accept-damaged` lets through, as measured while decoding the source. */
export interface SourceDamage {
  /** Seconds of audio the source decoded to. */
  decoded_s: number;
  /** Seconds its container announces; null when ffprobe could only estimate them (from the bit rate). */
  probed_s: number | null;
  /** Error messages ffmpeg printed while decoding (its "Last message repeated n times" counted). */
  decoder_errors: number;
  /** The first of them, without ffmpeg's context address; null when none. */
  first_error: string | null;
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
  /** Present only when the source was damaged and `--accept-damaged` built it anyway. */
  damage?: SourceDamage;
  /** Files of earlier builds still served (absent in folders written by hlsaudio 0.1). */
  retired?: RetiredFile[];
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

/**
 * The files of the track's current build a client may fetch, relative to its folder: masters, variant
 * playlists, media (an fMP4 variant's init segment is a byte range of its media file), peaks.
 */
export function currentFiles(track: TrackInfo): string[] {
  return [
    ...track.masters.map((master) => master.file),
    ...track.variants.flatMap((variant) => [variant.playlist, variant.file]),
    ...(track.peaks ? [track.peaks.file] : []),
  ];
}

/** Every file track.json lists for clients: the current build's and the retired ones. */
export function listedFiles(track: TrackInfo): string[] {
  return [...currentFiles(track), ...(track.retired ?? []).map((retired) => retired.file)];
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
