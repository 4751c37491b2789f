/** The parts of m3u8-parser (which ships no types) that hlsaudio and its tests use. */
declare module 'm3u8-parser' {
  export interface ByteRange {
    length: number;
    offset: number;
  }
  export interface ParsedSegment {
    duration: number;
    uri: string;
    byterange?: ByteRange;
    /** EXT-X-MAP in force for the segment. */
    map?: { uri: string; byterange?: ByteRange };
  }
  export interface ParsedVariant {
    uri: string;
    attributes: { BANDWIDTH?: number; 'AVERAGE-BANDWIDTH'?: string; CODECS?: string; [name: string]: unknown };
  }
  export interface ParsedManifest {
    version?: number;
    targetDuration?: number;
    mediaSequence?: number;
    playlistType?: string;
    endList?: boolean;
    independentSegments?: boolean;
    segments: ParsedSegment[];
    playlists?: ParsedVariant[];
  }
  export class Parser {
    manifest: ParsedManifest;
    push(text: string): void;
    end(): void;
    on(event: 'warn' | 'info', listener: (event: { message: string }) => void): void;
  }
}
