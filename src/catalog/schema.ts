import { randomBytes } from 'node:crypto';
import { HOST_TAG } from '../fs.js';
import type { AdaptiveProfile, Codec } from '../profiles/profile.js';

/**
 * The files `package` writes and `serve` and `validate` read. Field names are snake_case like the
 * spec's wire format. Bump SCHEMA_VERSION on any change a reader must know about.
 */
export const SCHEMA_VERSION = 1;
export const TRACK_FILE = 'track.json';
export const CATALOG_FILE = 'catalog.json';
export const MAIN_MASTER_FILE = 'master.m3u8';
export const VARIANT_PLAYLIST_FILE = 'playlist.m3u8';
/** The one media file of a variant, beside its playlist: `audio.<file_extension>`. */
export const MEDIA_FILE_STEM = 'audio';

/**
 * A track folder being built (`.<id>.tmp-<host tag>-<pid>-<hex>`) or a previous build moved aside
 * while the new one is renamed in (`.<id>.old-…`). Hidden, so no reader takes it for a track.
 */
export const TEMPORARY_TRACK_FOLDER = /^\.(.+)\.(tmp|old)-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

export function temporaryTrackFolder(id: string, kind: 'tmp' | 'old'): string {
  return `.${id}.${kind}-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A master playlist and the profiles (one codec family) a player may switch among in it. */
export interface MasterInfo {
  file: string;
  codec_family: Codec;
  /** quality_ids in the order the master lists them. */
  profiles: string[];
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
  };
  segment_duration_s: number;
  target_duration_s: number;
  encoder_delay_compensated: boolean;
  profiles: AdaptiveProfile[];
  masters: MasterInfo[];
  variants: VariantInfo[];
  /** Largest boundary misalignment between any two variants (frames of different lengths cannot all align). */
  max_cross_variant_drift_ms: number;
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
  };
}
