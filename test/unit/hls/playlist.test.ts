import { describe, expect, it } from 'vitest';
import { formatMasterPlaylist, formatMediaPlaylist } from '../../../src/hls/playlist.js';

describe('formatMediaPlaylist', () => {
  it('writes the exact text: version 4 for byte ranges, @offset only where a range does not follow', () => {
    const text = formatMediaPlaylist([
      { uri: 'audio.aac', offset: 0, length: 1000, durationSec: (258 * 1024) / 44100 },
      { uri: 'audio.aac', offset: 1000, length: 1100, durationSec: (259 * 1024) / 44100 },
      { uri: 'audio.aac', offset: 2100, length: 400, durationSec: (87 * 1024) / 44100 },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:6',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXTINF:5.990748,',
        '#EXT-X-BYTERANGE:1000@0',
        'audio.aac',
        '#EXTINF:6.013969,', // 6.0139683 s: a running total rounds, not each value
        '#EXT-X-BYTERANGE:1100',
        'audio.aac',
        '#EXTINF:2.020136,',
        '#EXT-X-BYTERANGE:400',
        'audio.aac',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('keeps the EXTINF sum equal to the total duration to the microsecond', () => {
    const durations = Array.from({ length: 500 }, (_, i) => ((257 + (i % 3)) * 1024) / 44100);
    const text = formatMediaPlaylist(durations.map((durationSec, i) => ({ uri: 'a.aac', offset: i, length: 1, durationSec })));
    const sum = [...text.matchAll(/#EXTINF:([\d.]+),/g)].reduce((total, match) => total + Number(match[1]) * 1e6, 0);
    expect(Math.round(sum)).toBe(Math.round(durations.reduce((a, b) => a + b, 0) * 1e6));
  });

  it('raises the target duration to the one given, never below the rounded longest EXTINF', () => {
    const segment = { uri: 'a.mp3', offset: 0, length: 1, durationSec: 6.49 };
    expect(formatMediaPlaylist([segment], { targetDurationSec: 7 })).toContain('#EXT-X-TARGETDURATION:7\n');
    expect(formatMediaPlaylist([{ ...segment, durationSec: 6.5 }], { targetDurationSec: 6 })).toContain('#EXT-X-TARGETDURATION:7\n');
  });
});

describe('formatMasterPlaylist', () => {
  it('lists variants in the order given with measured attributes and exact CODECS', () => {
    expect(
      formatMasterPlaylist([
        { uri: 'high/playlist.m3u8', bandwidth: 331000, averageBandwidth: 322500, codecs: 'mp4a.40.2' },
        { uri: 'mobile/playlist.m3u8', bandwidth: 101000, averageBandwidth: 99000, codecs: 'mp4a.40.2' },
      ]),
    ).toBe(
      [
        '#EXTM3U',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=331000,AVERAGE-BANDWIDTH=322500,CODECS="mp4a.40.2"',
        'high/playlist.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=101000,AVERAGE-BANDWIDTH=99000,CODECS="mp4a.40.2"',
        'mobile/playlist.m3u8',
        '',
      ].join('\n'),
    );
  });
});
