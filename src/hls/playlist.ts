import { requiredVersion, targetDurationFor } from './rules.js';

/** A media segment as the playlist side is told of it: a byte range of a media file and its duration. */
export interface SegmentEntry {
  uri: string;
  offset: number;
  length: number;
  durationSec: number;
}

/** A variant stream of a master playlist; bit rates in bits per second. */
export interface VariantEntry {
  uri: string;
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
}

/** A Media Initialization Section (EXT-X-MAP): a byte range of a file. */
export interface MapEntry {
  uri: string;
  offset: number;
  length: number;
}

/** Decimal places of EXTINF: a microsecond, finer than any audio frame. */
const DURATION_DECIMALS = 6;

/**
 * A VOD media playlist of byte-range segments. EXTINF values are differences of rounded running
 * totals, so each is within a microsecond of its segment and their sum is the total duration to the
 * microsecond. EXT-X-BYTERANGE leaves out `@offset` when the range follows the one before it in the
 * same file (as Shaka Packager's media_playlist.cc does). `targetDurationSec` raises the target
 * duration so that every variant of a track declares the same one. `map` (fMP4) adds the
 * EXT-X-MAP of the init segment, which applies to every segment (RFC 8216 section 4.3.2.5).
 */
export function formatMediaPlaylist(segments: readonly SegmentEntry[], options: { targetDurationSec?: number; map?: MapEntry } = {}): string {
  const scale = 10 ** DURATION_DECIMALS;
  let elapsed = 0;
  let elapsedRounded = 0;
  const durations = segments.map((segment) => {
    elapsed += segment.durationSec;
    const rounded = Math.round(elapsed * scale);
    const duration = rounded - elapsedRounded;
    elapsedRounded = rounded;
    return duration / scale;
  });
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${requiredVersion({ byteRanges: true, floatDurations: true, map: options.map !== undefined })}`,
    `#EXT-X-TARGETDURATION:${Math.max(targetDurationFor(durations), options.targetDurationSec ?? 0)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  if (options.map) lines.push(`#EXT-X-MAP:URI="${options.map.uri}",BYTERANGE="${options.map.length}@${options.map.offset}"`);
  let previous: SegmentEntry | undefined;
  segments.forEach((segment, index) => {
    const follows = previous !== undefined && previous.uri === segment.uri && previous.offset + previous.length === segment.offset;
    lines.push(
      `#EXTINF:${durations[index]!.toFixed(DURATION_DECIMALS)},`,
      `#EXT-X-BYTERANGE:${segment.length}${follows ? '' : `@${segment.offset}`}`,
      segment.uri,
    );
    previous = segment;
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * A master playlist listing variants in the order given: HLS clients start with the first one.
 * It uses nothing beyond protocol version 1, so it carries no EXT-X-VERSION (RFC 8216 section 4.3.1.2).
 */
export function formatMasterPlaylist(variants: readonly VariantEntry[]): string {
  const lines = ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const variant of variants) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${variant.bandwidth},AVERAGE-BANDWIDTH=${variant.averageBandwidth},CODECS="${variant.codecs}"`,
      variant.uri,
    );
  }
  return `${lines.join('\n')}\n`;
}
