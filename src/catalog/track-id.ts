import { basename, extname } from 'node:path';

/** A track id is a folder name and a URL segment: lower-case letters, digits and single dashes. */
export const TRACK_ID = /^[a-z0-9](?:[a-z0-9_-]{0,126}[a-z0-9])?$/;
const MAX_LENGTH = 128;

/** The URL-safe slug of a name: accents folded, anything else collapsed into single dashes. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, '');
  return slug || 'track';
}

/** The default track id: the slug of the file name without its extension. */
export function trackIdFromFile(file: string): string {
  return slugify(basename(file, extname(file)));
}
