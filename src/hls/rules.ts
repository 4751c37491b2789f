/**
 * RFC 8216 rules shared by the playlist writer and `hlsaudio validate`, so both read the RFC the same way.
 */

/**
 * The lowest EXT-X-VERSION a media playlist needs for what it uses (RFC 8216 section 7): 3 for
 * floating-point EXTINF durations, 4 for EXT-X-BYTERANGE, 6 for EXT-X-MAP in a playlist without
 * EXT-X-I-FRAMES-ONLY (5 with it; hlsaudio writes no I-frame playlists).
 */
export function requiredVersion(uses: { byteRanges: boolean; floatDurations: boolean; map?: boolean }): number {
  if (uses.map) return 6;
  if (uses.byteRanges) return 4;
  if (uses.floatDurations) return 3;
  return 1;
}

/**
 * EXT-X-TARGETDURATION (RFC 8216 section 4.3.3.1): every EXTINF duration, rounded to the nearest
 * integer, must not exceed it; the smallest such value is the largest rounded duration.
 */
export function targetDurationFor(durationsSec: readonly number[]): number {
  return Math.max(1, ...durationsSec.map((duration) => Math.round(duration)));
}
