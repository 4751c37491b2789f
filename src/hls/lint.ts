import { requiredVersion } from './rules.js';

/** One breach of RFC 8216 found in a playlist's text, with the 1-based line it is on. */
export interface LintFinding {
  severity: 'error' | 'warning';
  rule: string;
  line: number;
  message: string;
}

const MEDIA_TAGS = new Set([
  'EXTINF', 'EXT-X-BYTERANGE', 'EXT-X-DISCONTINUITY', 'EXT-X-KEY', 'EXT-X-MAP', 'EXT-X-PROGRAM-DATE-TIME', 'EXT-X-DATERANGE',
  'EXT-X-TARGETDURATION', 'EXT-X-MEDIA-SEQUENCE', 'EXT-X-DISCONTINUITY-SEQUENCE', 'EXT-X-ENDLIST', 'EXT-X-PLAYLIST-TYPE',
  'EXT-X-I-FRAMES-ONLY', 'EXT-X-GAP', 'EXT-X-BITRATE',
]);
const MASTER_TAGS = new Set(['EXT-X-MEDIA', 'EXT-X-STREAM-INF', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-SESSION-DATA', 'EXT-X-SESSION-KEY']);
const SHARED_TAGS = new Set(['EXTM3U', 'EXT-X-VERSION', 'EXT-X-INDEPENDENT-SEGMENTS', 'EXT-X-START', 'EXT-X-DEFINE']);

const DECIMAL_INTEGER = /^\d{1,20}$/;
const DECIMAL_FLOAT = /^\d+(\.\d+)?$/;

interface TagLine {
  line: number;
  name: string;
  value: string | undefined;
}

interface Lines {
  tags: TagLine[];
  uris: { line: number; uri: string }[];
  findings: LintFinding[];
  order: ({ kind: 'tag'; tag: TagLine } | { kind: 'uri'; line: number; uri: string })[];
}

/** Splits a playlist into tags and URI lines (RFC 8216 section 4.1); comments and blank lines are skipped. */
function scan(text: string): Lines {
  const findings: LintFinding[] = [];
  const tags: TagLine[] = [];
  const uris: { line: number; uri: string }[] = [];
  const order: Lines['order'] = [];
  const lines = text.split(/\r?\n/);
  if (lines[0] !== '#EXTM3U') {
    findings.push({ severity: 'error', rule: 'EXTM3U', line: 1, message: 'the first line is not #EXTM3U (RFC 8216 section 4.3.1.1)' });
  }
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw !== raw.trim()) findings.push({ severity: 'error', rule: 'whitespace', line, message: 'leading or trailing whitespace (RFC 8216 section 4.1)' });
    const text = raw.trim();
    if (text.startsWith('#EXT')) {
      const colon = text.indexOf(':');
      const tag = { line, name: text.slice(1, colon < 0 ? undefined : colon), value: colon < 0 ? undefined : text.slice(colon + 1) };
      tags.push(tag);
      order.push({ kind: 'tag', tag });
      if (!MEDIA_TAGS.has(tag.name) && !MASTER_TAGS.has(tag.name) && !SHARED_TAGS.has(tag.name)) {
        findings.push({ severity: 'warning', rule: 'unknown-tag', line, message: `unknown tag #${tag.name} (clients ignore it)` });
      }
    } else if (!text.startsWith('#')) {
      uris.push({ line, uri: text });
      order.push({ kind: 'uri', line, uri: text });
    }
  });
  return { tags, uris, findings, order };
}

function countOnce(lines: Lines, name: string, required: boolean): TagLine | undefined {
  const found = lines.tags.filter((tag) => tag.name === name);
  if (found.length > 1) lines.findings.push({ severity: 'error', rule: name, line: found[1]!.line, message: `#${name} appears ${found.length} times; it may appear once` });
  if (found.length === 0 && required) lines.findings.push({ severity: 'error', rule: name, line: 1, message: `no #${name} tag` });
  return found[0];
}

/**
 * RFC 8216 checks on a media playlist's text: tag syntax, EXT-X-VERSION against the features used
 * (section 7), EXT-X-TARGETDURATION against every rounded EXTINF (section 4.3.3.1), EXTINF and
 * EXT-X-BYTERANGE syntax and placement (4.3.2.1, 4.3.2.2), EXT-X-ENDLIST for VOD.
 */
export function lintMediaPlaylist(text: string): LintFinding[] {
  const lines = scan(text);
  const { findings } = lines;
  for (const tag of lines.tags.filter((t) => MASTER_TAGS.has(t.name))) {
    findings.push({ severity: 'error', rule: 'playlist-kind', line: tag.line, message: `#${tag.name} belongs in a master playlist, not a media playlist` });
  }
  const target = countOnce(lines, 'EXT-X-TARGETDURATION', true);
  const targetValue = target && DECIMAL_INTEGER.test(target.value ?? '') ? Number(target.value) : undefined;
  if (target && targetValue === undefined) findings.push({ severity: 'error', rule: 'EXT-X-TARGETDURATION', line: target.line, message: `EXT-X-TARGETDURATION "${target.value ?? ''}" is not a decimal integer` });
  const version = countOnce(lines, 'EXT-X-VERSION', false);
  const type = countOnce(lines, 'EXT-X-PLAYLIST-TYPE', false);
  if (type && type.value !== 'VOD' && type.value !== 'EVENT') findings.push({ severity: 'error', rule: 'EXT-X-PLAYLIST-TYPE', line: type.line, message: `EXT-X-PLAYLIST-TYPE "${type.value ?? ''}" is neither VOD nor EVENT` });
  const endList = countOnce(lines, 'EXT-X-ENDLIST', false);
  if (type?.value === 'VOD' && !endList) findings.push({ severity: 'error', rule: 'EXT-X-ENDLIST', line: type.line, message: 'a VOD playlist without #EXT-X-ENDLIST: players would take it for a live one' });

  let uses = { byteRanges: false, floatDurations: false, map: false };
  let pendingDuration: { line: number; value: number } | undefined;
  let pendingRange: { line: number; hasOffset: boolean } | undefined;
  let previousUri: string | undefined;
  let segments = 0;
  for (const entry of lines.order) {
    if (entry.kind === 'uri') {
      if (!pendingDuration) findings.push({ severity: 'error', rule: 'EXTINF', line: entry.line, message: `URI "${entry.uri}" has no #EXTINF before it` });
      if (pendingRange && !pendingRange.hasOffset && previousUri !== entry.uri) {
        findings.push({ severity: 'error', rule: 'EXT-X-BYTERANGE', line: pendingRange.line, message: 'EXT-X-BYTERANGE without @offset must follow a segment of the same resource (RFC 8216 section 4.3.2.2)' });
      }
      previousUri = entry.uri;
      pendingDuration = undefined;
      pendingRange = undefined;
      segments++;
      continue;
    }
    const { tag } = entry;
    if (tag.name === 'EXTINF') {
      const duration = (tag.value ?? '').split(',')[0]!;
      if (!DECIMAL_FLOAT.test(duration) || !(tag.value ?? '').includes(',')) {
        findings.push({ severity: 'error', rule: 'EXTINF', line: tag.line, message: `EXTINF "${tag.value ?? ''}" is not "<duration>,[<title>]"` });
        pendingDuration = { line: tag.line, value: Number.NaN };
        continue;
      }
      if (duration.includes('.')) uses = { ...uses, floatDurations: true };
      pendingDuration = { line: tag.line, value: Number(duration) };
      if (targetValue !== undefined && Math.round(Number(duration)) > targetValue) {
        findings.push({ severity: 'error', rule: 'EXT-X-TARGETDURATION', line: tag.line, message: `EXTINF ${duration} rounds above EXT-X-TARGETDURATION ${targetValue} (RFC 8216 section 4.3.3.1)` });
      }
    } else if (tag.name === 'EXT-X-BYTERANGE') {
      uses = { ...uses, byteRanges: true };
      const match = /^(\d+)(@(\d+))?$/.exec(tag.value ?? '');
      if (!match) findings.push({ severity: 'error', rule: 'EXT-X-BYTERANGE', line: tag.line, message: `EXT-X-BYTERANGE "${tag.value ?? ''}" is not "<length>[@<offset>]"` });
      pendingRange = { line: tag.line, hasOffset: match?.[3] !== undefined };
    } else if (tag.name === 'EXT-X-MAP') {
      uses = { ...uses, map: true };
      const attributes = parseAttributes(tag.value ?? '');
      if (!attributes?.get('URI')?.startsWith('"')) findings.push({ severity: 'error', rule: 'EXT-X-MAP', line: tag.line, message: 'EXT-X-MAP has no quoted URI (RFC 8216 section 4.3.2.5)' });
      const range = attributes?.get('BYTERANGE');
      if (range !== undefined && !/^"\d+@\d+"$/.test(range)) findings.push({ severity: 'error', rule: 'EXT-X-MAP', line: tag.line, message: `EXT-X-MAP BYTERANGE ${range} is not "<length>@<offset>"` });
    } else if (tag.name === 'EXT-X-MEDIA-SEQUENCE' && segments > 0) {
      findings.push({ severity: 'error', rule: 'EXT-X-MEDIA-SEQUENCE', line: tag.line, message: 'EXT-X-MEDIA-SEQUENCE must come before the first segment' });
    }
  }
  if (pendingDuration) findings.push({ severity: 'error', rule: 'EXTINF', line: pendingDuration.line, message: 'EXTINF is not followed by a segment URI' });
  if (endList && lines.order.some((e) => (e.kind === 'uri' ? e.line : e.tag.line) > endList.line && e.kind === 'uri')) {
    findings.push({ severity: 'error', rule: 'EXT-X-ENDLIST', line: endList.line, message: 'segments after #EXT-X-ENDLIST' });
  }
  const needed = requiredVersion(uses);
  const declared = version && DECIMAL_INTEGER.test(version.value ?? '') ? Number(version.value) : version ? Number.NaN : 1;
  if (Number.isNaN(declared)) findings.push({ severity: 'error', rule: 'EXT-X-VERSION', line: version!.line, message: `EXT-X-VERSION "${version!.value ?? ''}" is not a decimal integer` });
  else if (declared < needed) {
    const why = uses.map ? 'EXT-X-MAP without EXT-X-I-FRAMES-ONLY' : uses.byteRanges ? 'EXT-X-BYTERANGE' : 'floating-point EXTINF durations';
    findings.push({ severity: 'error', rule: 'EXT-X-VERSION', line: version?.line ?? 1, message: `${version ? `EXT-X-VERSION ${declared}` : 'no EXT-X-VERSION'}, but ${why} need version ${needed} (RFC 8216 section 7)` });
  }
  if (segments === 0) findings.push({ severity: 'error', rule: 'segments', line: 1, message: 'the playlist has no segments' });
  return findings;
}

/** Attribute list of a tag (RFC 8216 section 4.2): NAME=value pairs, quoted strings may hold commas. */
export function parseAttributes(value: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  const pattern = /([A-Z0-9-]+)=("[^"\r\n]*"|[^",]*)(,|$)/gy;
  let at = 0;
  while (at < value.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(value);
    if (!match) return undefined;
    attributes.set(match[1]!, match[2]!);
    at = pattern.lastIndex;
  }
  return attributes;
}

/**
 * RFC 8216 checks on a master playlist's text: tag syntax, EXT-X-STREAM-INF attributes (BANDWIDTH
 * required, AVERAGE-BANDWIDTH a decimal integer, CODECS a quoted string; section 4.3.4.2), each
 * followed by a URI, and no media-playlist tags.
 */
export function lintMasterPlaylist(text: string): LintFinding[] {
  const lines = scan(text);
  const { findings } = lines;
  countOnce(lines, 'EXT-X-VERSION', false);
  let pendingStream: TagLine | undefined;
  for (const entry of lines.order) {
    if (entry.kind === 'uri') {
      if (!pendingStream) findings.push({ severity: 'error', rule: 'EXT-X-STREAM-INF', line: entry.line, message: `URI "${entry.uri}" has no #EXT-X-STREAM-INF before it` });
      pendingStream = undefined;
      continue;
    }
    const { tag } = entry;
    if (MEDIA_TAGS.has(tag.name)) {
      findings.push({ severity: 'error', rule: 'playlist-kind', line: tag.line, message: `#${tag.name} belongs in a media playlist, not a master playlist` });
    }
    if (tag.name !== 'EXT-X-STREAM-INF') continue;
    if (pendingStream) findings.push({ severity: 'error', rule: 'EXT-X-STREAM-INF', line: pendingStream.line, message: 'EXT-X-STREAM-INF is not followed by a URI' });
    pendingStream = tag;
    const attributes = parseAttributes(tag.value ?? '');
    if (!attributes) {
      findings.push({ severity: 'error', rule: 'attribute-list', line: tag.line, message: `EXT-X-STREAM-INF attributes "${tag.value ?? ''}" are not a valid attribute list (RFC 8216 section 4.2)` });
      continue;
    }
    if (!DECIMAL_INTEGER.test(attributes.get('BANDWIDTH') ?? '')) {
      findings.push({ severity: 'error', rule: 'BANDWIDTH', line: tag.line, message: 'EXT-X-STREAM-INF has no decimal-integer BANDWIDTH (it is required)' });
    }
    const average = attributes.get('AVERAGE-BANDWIDTH');
    if (average === undefined) findings.push({ severity: 'warning', rule: 'AVERAGE-BANDWIDTH', line: tag.line, message: 'EXT-X-STREAM-INF has no AVERAGE-BANDWIDTH (Apple\'s authoring spec 9.14 requires it)' });
    else if (!DECIMAL_INTEGER.test(average)) findings.push({ severity: 'error', rule: 'AVERAGE-BANDWIDTH', line: tag.line, message: `AVERAGE-BANDWIDTH "${average}" is not a decimal integer` });
    const codecs = attributes.get('CODECS');
    if (codecs === undefined) findings.push({ severity: 'warning', rule: 'CODECS', line: tag.line, message: 'EXT-X-STREAM-INF has no CODECS (Apple\'s authoring spec 9.1 requires it)' });
    else if (!/^"[^"]+"$/.test(codecs)) findings.push({ severity: 'error', rule: 'CODECS', line: tag.line, message: `CODECS ${codecs} is not a quoted string` });
  }
  if (pendingStream) findings.push({ severity: 'error', rule: 'EXT-X-STREAM-INF', line: pendingStream.line, message: 'EXT-X-STREAM-INF is not followed by a URI' });
  if (!lines.tags.some((tag) => tag.name === 'EXT-X-STREAM-INF')) findings.push({ severity: 'error', rule: 'variants', line: 1, message: 'the master playlist lists no variant' });
  return findings;
}
