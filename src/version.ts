import { readFileSync } from 'node:fs';

/** hlsaudio's version, from package.json; part of every track's cache key. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
