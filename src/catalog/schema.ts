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
/** The spec's route `/hls/<id>/<quality>/playlist.m3u8`: `serve` answers it with the variant's current playlist. */
export const VARIANT_PLAYLIST_FILE = 'playlist.m3u8';
/** The one media file of a variant, beside its playlist: `audio.<content hash>.<file_extension>`. */
export const MEDIA_FILE_STEM = 'audio';
/** A variant playlist as written: `playlist.<content hash>.m3u8` (`serve` also answers `playlist.m3u8` with it). */
export const VARIANT_PLAYLIST_STEM = 'playlist';

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
  };
  segment_duration_s: number;
  target_duration_s: number;
  encoder_delay_compensated: boolean;
  profiles: AdaptiveProfile[];
  masters: MasterInfo[];
  variants: VariantInfo[];
  /** Largest boundary misalignment between any two variants (frames of different lengths cannot all align). */
  max_cross_variant_drift_ms: number;
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
}

export interface CatalogInfo {
  schema: number;
  generated_at: string;
  tracks: CatalogEntry[];
}

/** The files of the track's current build a client may fetch, relative to its folder: masters, variant playlists, media. */
export function currentFiles(track: TrackInfo): string[] {
  return [...track.masters.map((master) => master.file), ...track.variants.flatMap((variant) => [variant.playlist, variant.file])];
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
  };
}
