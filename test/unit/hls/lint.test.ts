import { describe, expect, it } from 'vitest';
import { lintMasterPlaylist, lintMediaPlaylist, parseAttributes } from '../../../src/hls/lint.js';
import { formatMasterPlaylist, formatMediaPlaylist } from '../../../src/hls/playlist.js';

const good = formatMediaPlaylist([
  { uri: 'audio.aac', offset: 0, length: 100, durationSec: 5.99 },
  { uri: 'audio.aac', offset: 100, length: 100, durationSec: 6.01 },
]);

function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe('lintMediaPlaylist', () => {
  it('finds nothing in what the writer writes', () => {
    expect(lintMediaPlaylist(good)).toEqual([]);
  });

  it.each([
    ['a version too low for byte ranges', edit(good, '#EXT-X-VERSION:4', '#EXT-X-VERSION:3'), { rule: 'EXT-X-VERSION', line: 2, message: 'EXT-X-VERSION 3, but EXT-X-BYTERANGE need version 4 (RFC 8216 section 7)' }],
    ['no version at all', edit(good, '#EXT-X-VERSION:4\n', ''), { rule: 'EXT-X-VERSION', line: 1, message: 'no EXT-X-VERSION, but EXT-X-BYTERANGE need version 4 (RFC 8216 section 7)' }],
    ['a target duration below a rounded EXTINF', edit(good, '#EXT-X-TARGETDURATION:6', '#EXT-X-TARGETDURATION:5'), { rule: 'EXT-X-TARGETDURATION', line: 7, message: 'EXTINF 5.990000 rounds above EXT-X-TARGETDURATION 5 (RFC 8216 section 4.3.3.1)' }],
    ['no ENDLIST in a VOD playlist', edit(good, '#EXT-X-ENDLIST\n', ''), { rule: 'EXT-X-ENDLIST', line: 5, message: 'a VOD playlist without #EXT-X-ENDLIST: players would take it for a live one' }],
    ['a byte range without offset first', edit(good, '#EXT-X-BYTERANGE:100@0', '#EXT-X-BYTERANGE:100'), { rule: 'EXT-X-BYTERANGE', line: 8, message: 'EXT-X-BYTERANGE without @offset must follow a segment of the same resource (RFC 8216 section 4.3.2.2)' }],
    ['a malformed byte range', edit(good, '#EXT-X-BYTERANGE:100@0', '#EXT-X-BYTERANGE:100@x'), { rule: 'EXT-X-BYTERANGE', line: 8, message: 'EXT-X-BYTERANGE "100@x" is not "<length>[@<offset>]"' }],
    ['an EXTINF without comma', edit(good, '#EXTINF:5.990000,', '#EXTINF:5.990000'), { rule: 'EXTINF', line: 7, message: 'EXTINF "5.990000" is not "<duration>,[<title>]"' }],
    ['a URI without EXTINF', edit(good, '#EXTINF:6.010000,\n', ''), { rule: 'EXTINF', line: 11, message: 'URI "audio.aac" has no #EXTINF before it' }],
    ['a missing #EXTM3U', edit(good, '#EXTM3U\n', ''), { rule: 'EXTM3U', line: 1, message: 'the first line is not #EXTM3U (RFC 8216 section 4.3.1.1)' }],
    ['a master tag', edit(good, '#EXT-X-ENDLIST', '#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-ENDLIST'), { rule: 'playlist-kind', line: 13, message: '#EXT-X-STREAM-INF belongs in a master playlist, not a media playlist' }],
  ])('reports %s', (_, text, finding) => {
    expect(lintMediaPlaylist(text)).toContainEqual({ severity: 'error', ...finding });
  });

  it('warns of unknown tags without failing', () => {
    expect(lintMediaPlaylist(edit(good, '#EXT-X-ENDLIST', '#EXT-X-FANCY:1\n#EXT-X-ENDLIST'))).toEqual([
      { severity: 'warning', rule: 'unknown-tag', line: 13, message: 'unknown tag #EXT-X-FANCY (clients ignore it)' },
    ]);
  });
});

describe('lintMasterPlaylist', () => {
  const master = formatMasterPlaylist([{ uri: 'high/playlist.m3u8', bandwidth: 300000, averageBandwidth: 290000, codecs: 'mp4a.40.2' }]);

  it('finds nothing in what the writer writes', () => {
    expect(lintMasterPlaylist(master)).toEqual([]);
  });

  it('requires BANDWIDTH, a URI after each EXT-X-STREAM-INF, and warns without AVERAGE-BANDWIDTH and CODECS', () => {
    expect(lintMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=5\n')).toEqual([
      { severity: 'error', rule: 'BANDWIDTH', line: 2, message: 'EXT-X-STREAM-INF has no decimal-integer BANDWIDTH (it is required)' },
      { severity: 'warning', rule: 'CODECS', line: 2, message: "EXT-X-STREAM-INF has no CODECS (Apple's authoring spec 9.1 requires it)" },
      { severity: 'error', rule: 'EXT-X-STREAM-INF', line: 2, message: 'EXT-X-STREAM-INF is not followed by a URI' },
    ]);
    expect(lintMasterPlaylist(edit(master, ',AVERAGE-BANDWIDTH=290000', ''))).toEqual([
      { severity: 'warning', rule: 'AVERAGE-BANDWIDTH', line: 3, message: "EXT-X-STREAM-INF has no AVERAGE-BANDWIDTH (Apple's authoring spec 9.14 requires it)" },
    ]);
  });

  it('reports a broken attribute list and media tags', () => {
    expect(lintMasterPlaylist(edit(master, 'CODECS="mp4a.40.2"', 'CODECS="mp4a.40.2'))[0]).toMatchObject({ rule: 'attribute-list', line: 3 });
    expect(lintMasterPlaylist(`${master}#EXTINF:6,\n`)).toContainEqual({ severity: 'error', rule: 'playlist-kind', line: 5, message: '#EXTINF belongs in a media playlist, not a master playlist' });
  });
});

describe('parseAttributes', () => {
  it('keeps commas inside quoted strings', () => {
    expect(parseAttributes('BANDWIDTH=1,CODECS="mp4a.40.2,avc1.4d401e",NAME=x')).toEqual(
      new Map([['BANDWIDTH', '1'], ['CODECS', '"mp4a.40.2,avc1.4d401e"'], ['NAME', 'x']]),
    );
    expect(parseAttributes('BANDWIDTH=1,,')).toBeUndefined();
  });
});
