import { Parser, type ParsedManifest } from 'm3u8-parser';

/** A media playlist as read back: segments as byte ranges of a file, with their durations. */
export interface ReadMediaPlaylist {
  version: number | undefined;
  targetDurationSec: number | undefined;
  playlistType: string | undefined;
  endList: boolean;
  segments: { uri: string; offset: number | undefined; length: number | undefined; durationSec: number }[];
  /** The EXT-X-MAP of the first segment (fMP4's init segment), if any. */
  map: { uri: string; offset: number | undefined; length: number | undefined } | undefined;
  /** What m3u8-parser warned of (unknown or malformed tags). */
  warnings: string[];
}

export interface ReadMasterPlaylist {
  variants: { uri: string; bandwidth: number | undefined; averageBandwidth: number | undefined; codecs: string | undefined }[];
  warnings: string[];
}

function parse(text: string): { manifest: ParsedManifest; warnings: string[] } {
  const parser = new Parser();
  const warnings: string[] = [];
  parser.on('warn', (event) => warnings.push(event.message));
  parser.push(text);
  parser.end();
  return { manifest: parser.manifest, warnings };
}

/** Reads a media playlist with m3u8-parser (no network, no file access: text in, model out). */
export function readMediaPlaylist(text: string): ReadMediaPlaylist {
  const { manifest, warnings } = parse(text);
  return {
    version: manifest.version,
    targetDurationSec: manifest.targetDuration,
    playlistType: manifest.playlistType,
    endList: manifest.endList === true,
    segments: manifest.segments.map((segment) => ({
      uri: segment.uri,
      offset: segment.byterange?.offset,
      length: segment.byterange?.length,
      durationSec: segment.duration,
    })),
    map: manifest.segments[0]?.map && { uri: manifest.segments[0].map.uri, offset: manifest.segments[0].map.byterange?.offset, length: manifest.segments[0].map.byterange?.length },
    warnings,
  };
}

export function readMasterPlaylist(text: string): ReadMasterPlaylist {
  const { manifest, warnings } = parse(text);
  return {
    variants: (manifest.playlists ?? []).map((variant) => {
      const average = Number(variant.attributes['AVERAGE-BANDWIDTH']);
      return {
        uri: variant.uri,
        bandwidth: variant.attributes.BANDWIDTH,
        averageBandwidth: Number.isFinite(average) ? average : undefined,
        codecs: variant.attributes.CODECS,
      };
    }),
    warnings,
  };
}
