import { extname } from 'node:path';

/**
 * Content-Type by file extension, exact as players expect them: RFC 8216 section 4 names
 * `application/vnd.apple.mpegurl` for playlists; packed audio is `audio/aac` or `audio/mpeg`
 * (RFC 3003); fMP4 and M4A are `audio/mp4` (RFC 4337).
 */
const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.aac': 'audio/aac',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.m4s': 'audio/mp4',
  '.ts': 'video/mp2t',
  '.json': 'application/json; charset=utf-8',
  // the player page (serve/web-routes.ts)
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function isPlaylist(file: string): boolean {
  return extname(file).toLowerCase() === '.m3u8';
}
