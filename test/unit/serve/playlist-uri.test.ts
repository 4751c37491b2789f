import { describe, expect, it } from 'vitest';
import { uriFile } from '../../../src/serve/playlist-uri.js';

describe('uriFile', () => {
  it.each([
    ['audio.aac', 'audio.aac'],
    ['audio.aac?v=0123456789', 'audio.aac'],
    ['high/playlist.m3u8?v=0123456789&x=1', 'high/playlist.m3u8'],
    ['audio.mp3#t=10', 'audio.mp3'],
    ['audio.aac?', 'audio.aac'],
  ])('reads %s as the file %s', (uri, file) => {
    expect(uriFile(uri)).toBe(file);
  });
});
