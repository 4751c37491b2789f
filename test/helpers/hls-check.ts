import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Parser, type ParsedManifest } from 'm3u8-parser';
import { expect } from 'vitest';
import { parseAdtsHeader } from '../../src/hls/adts.js';
import { id3TagLength, readTransportStreamTimestamp } from '../../src/hls/id3.js';
import { parseMpegAudioHeader } from '../../src/hls/mpeg-audio.js';

export function parsePlaylist(file: string): ParsedManifest {
  const parser = new Parser();
  parser.push(readFileSync(file, 'utf8'));
  parser.end();
  return parser.manifest;
}

export interface CheckedVariant {
  manifest: ParsedManifest;
  mediaFile: string;
  /** Samples per channel of all frames, counted by walking the file's frame headers. */
  frameSamples: number;
  sampleRate: number;
  segmentDurations: number[];
  segmentBytes: number[];
}

/**
 * Checks one variant playlist against its media file, independently of hlsaudio's own code paths
 * for writing it: RFC 8216 tags, one media file, byte ranges contiguous from 0 and covering it, an
 * ID3 transportStreamTimestamp at the start of each range matching the running EXTINF total, every
 * range made of whole frames, and EXTINF values exact to the frame.
 */
export function checkVariantPlaylist(playlistFile: string, codec: 'aac' | 'mp3'): CheckedVariant {
  const text = readFileSync(playlistFile, 'utf8');
  const manifest = parsePlaylist(playlistFile);
  expect(manifest.version).toBe(4);
  expect(manifest.playlistType).toBe('VOD');
  expect(manifest.endList).toBe(true);
  expect(text.match(/#EXT-X-VERSION/g)).toHaveLength(1);
  const uris = new Set(manifest.segments.map((segment) => segment.uri));
  expect(uris.size).toBe(1);
  const mediaFile = join(dirname(playlistFile), [...uris][0]!);
  const media = readFileSync(mediaFile);
  expect(statSync(mediaFile).size).toBe(media.length);
  for (const segment of manifest.segments) {
    expect(Math.round(segment.duration)).toBeLessThanOrEqual(manifest.targetDuration!);
  }
  let expectedOffset = 0;
  let elapsedSamples = 0;
  let sampleRate = 0;
  const segmentDurations: number[] = [];
  for (const segment of manifest.segments) {
    const range = segment.byterange!;
    expect(range.offset).toBe(expectedOffset);
    const bytes = media.subarray(range.offset, range.offset + range.length);
    expect(bytes.length).toBe(range.length);
    const tagLength = id3TagLength(bytes, 0);
    expect(tagLength, `ID3 tag at byte ${range.offset}`).toBeDefined();
    const pts = readTransportStreamTimestamp(bytes.subarray(0, tagLength));
    let at = tagLength!;
    let samples = 0;
    while (at < bytes.length) {
      const header = codec === 'aac' ? parseAdtsHeader(bytes, at) : parseMpegAudioHeader(bytes, at);
      expect(header, `frame header at byte ${range.offset + at}`).toBeDefined();
      sampleRate = header!.sampleRate;
      samples += header!.samples;
      at += header!.frameLength;
    }
    expect(at).toBe(bytes.length); // whole frames only
    expect(pts).toBe(Math.round((elapsedSamples * 90000) / sampleRate));
    expect(Math.abs(segment.duration - samples / sampleRate)).toBeLessThan(1.5e-6);
    segmentDurations.push(samples / sampleRate);
    elapsedSamples += samples;
    expectedOffset += range.length;
  }
  expect(expectedOffset).toBe(media.length); // the ranges cover the whole file
  const extinfSum = manifest.segments.reduce((sum, segment) => sum + segment.duration, 0);
  expect(Math.abs(extinfSum - elapsedSamples / sampleRate)).toBeLessThan(1e-6);
  return {
    manifest,
    mediaFile,
    frameSamples: elapsedSamples,
    sampleRate,
    segmentDurations,
    segmentBytes: manifest.segments.map((segment) => segment.byterange!.length),
  };
}
