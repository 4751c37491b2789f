import { HlsaudioError } from '../errors.js';
import { isContentAddressed, PEAKS_FILE_STEM, PEAKS_ROUTE_FILE, type TrackInfo, VARIANT_PLAYLIST_FILE } from '../catalog/schema.js';
import { contentTypeOf, isPlaylist } from './content-type.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, cachedFileBody, type Entity, sendEntity } from './entity.js';
import type { FileInfo } from './file-cache.js';
import { notFound } from '../http/reply.js';
import { contentEtag, textEntity } from './respond.js';
import { masterWithVariantFirst } from './session-master.js';
import { gzipBytes } from './text-files.js';
import type { RequestContext, Router } from './router.js';

/**
 * The spec's HLS routes, on the layout `package` writes:
 *   /hls/:track_id/master.m3u8 (and master-<codec>.m3u8)   ?session=ID: that session's master
 *   /hls/:track_id/:quality/playlist.m3u8                  the variant's current playlist
 *   /hls/:track_id/:quality/playlist.<hash>.m3u8           a variant playlist, as masters name it
 *   /hls/:track_id/:quality/audio.<hash>.<ext>             the media file, byte ranges (fMP4: its init segment too)
 *   /hls/:track_id/peaks.json                              the track's current waveform peaks, revalidated
 *   /hls/:track_id/peaks.<hash>.json                       the waveform peaks, immutable like media
 * Only files that the track's track.json lists are served: its current build's, and those of
 * earlier builds it keeps (`retired`) for players that still hold their playlists.
 */
export function addHlsRoutes(router: Router, context: ServeContext): void {
  // A rebuilt track may replace a file between its (cached) lookup and its read: answer again afresh.
  const fresh = (request: RequestContext, trackId: string, answer: () => Promise<void>) => answerFromFreshFiles(request.res, () => context.files.forget([trackId]), answer);
  const media = mediaEntities(context);
  router.add('GET', '/hls/:track_id/:file', async (request) => {
    const { track_id: trackId, file } = request.params as { track_id: string; file: string };
    const session = request.query.get('session');
    if (session !== null && isPlaylist(file)) return fresh(request, trackId, () => sendSessionMaster(request, context, trackId, file, session));
    if (file === PEAKS_ROUTE_FILE || isPeaksFile(file)) return fresh(request, trackId, () => sendPeaks(request, context, trackId, file));
    return fresh(request, trackId, () => sendTrackFile(request, context, media, trackId, file));
  });
  router.add('GET', '/hls/:track_id/:quality/:file', (request) => {
    const { track_id: trackId, quality, file } = request.params as { track_id: string; quality: string; file: string };
    return fresh(request, trackId, async () => {
      if (file !== VARIANT_PLAYLIST_FILE) return sendTrackFile(request, context, media, trackId, `${quality}/${file}`, quality);
      // The spec's variant route: whichever playlist track.json names for this quality now.
      const track = await context.tracks.getTrack(trackId);
      if (!track) throw unknownTrack(trackId);
      const variant = track.variants.find((candidate) => candidate.quality_id === quality);
      if (!variant) throw unknownQuality(track, quality);
      return sendTrackFile(request, context, media, trackId, variant.playlist, quality, { fixedName: true });
    });
  });
}

/** `fixedName`: asked for under a name a rebuild gives other bytes (the spec's variant route), so never immutable. */
async function sendTrackFile(
  request: RequestContext,
  context: ServeContext,
  media: MediaEntities,
  trackId: string,
  relative: string,
  quality?: string,
  { fixedName = false } = {},
): Promise<void> {
  const found = context.tracks.trackFileAtHand(trackId, relative) ?? (await context.tracks.trackFile(trackId, relative));
  if (!found) throw unknownTrack(trackId);
  if (!found.file) {
    if (quality !== undefined && !found.track.profiles.some((profile) => profile.quality_id === quality)) throw unknownQuality(found.track, quality);
    throw notFound(`Track ${JSON.stringify(trackId)} has no file ${JSON.stringify(relative)}`);
  }
  const entity = media(found.file, relative, fixedName);
  if (entity) return sendEntity(request.req, request.res, entity);
  return sendEntity(request.req, request.res, await playlistEntity(request, context, found.file, isImmutable(relative, fixedName)));
}

/**
 * A content-addressed name never gets other bytes (a rebuild writes new names): caches may keep it.
 * A fixed name (a master, the spec's variant route, a folder written by hlsaudio 0.1) is looked at again.
 */
function isImmutable(relative: string, fixedName: boolean): boolean {
  return !fixedName && isContentAddressed(relative);
}

/** The entity of a media file asked for under `relative`; undefined for a playlist. */
type MediaEntities = (file: FileInfo, relative: string, fixedName: boolean) => Entity | undefined;

/**
 * A media file's entity: `immutable` for a year under a content-addressed name, revalidated
 * (`no-cache`) under any other. One per file info, kept while the file cache holds that info (its
 * head is then built once for all the segment requests of that file, and its name looked at once):
 * a rebuilt file gets new info, so a new entity, with its new validators.
 */
function mediaEntities(context: ServeContext): MediaEntities {
  const entities = new WeakMap<FileInfo, { relative: string; fixedName: boolean; entity: Entity }>();
  const yearLong = immutableCache(context);
  return (file, relative, fixedName) => {
    const known = entities.get(file);
    if (known?.relative === relative && known.fixedName === fixedName) return known.entity;
    if (isPlaylist(relative)) return undefined;
    const entity: Entity = {
      size: file.size,
      etag: file.etag,
      lastModified: file.lastModified,
      contentType: contentTypeOf(relative),
      cacheControl: isImmutable(relative, fixedName) ? yearLong : 'public, no-cache',
      ranges: true,
      body: cachedFileBody(file, context.ranges, context.openFiles, context.options.readChunkBytes),
    };
    entities.set(file, { relative, fixedName, entity });
    return entity;
  };
}

/** `peaks.<hash>.json`, as package writes it. */
function isPeaksFile(file: string): boolean {
  return file.startsWith(`${PEAKS_FILE_STEM}.`) && file.endsWith('.json') && isContentAddressed(file);
}

function immutableCache(context: ServeContext): string {
  return `public, max-age=${context.options.mediaMaxAgeSec}, immutable`;
}

/**
 * The waveform peaks, gzipped for clients that accept them and cached as media are: immutable
 * under their content-addressed name (what session answers give as `peaks_url`), revalidated under
 * the fixed route `peaks.json`, which a rebuild points at other bytes. A track of schema 1 has none.
 */
async function sendPeaks(request: RequestContext, context: ServeContext, trackId: string, requested: string): Promise<void> {
  const track = await context.tracks.getTrack(trackId);
  if (!track) throw unknownTrack(trackId);
  const fixedName = requested === PEAKS_ROUTE_FILE;
  if (fixedName && !track.peaks) throw notFound(`Track ${JSON.stringify(trackId)} has no peaks.json; it was packaged before waveform peaks: run \`hlsaudio package\` again`);
  const relative = fixedName ? track.peaks!.file : requested;
  const file = (await context.tracks.trackFile(trackId, relative))?.file;
  if (!file) throw notFound(`Track ${JSON.stringify(trackId)} has no file ${JSON.stringify(relative)}`);
  const entity = await textEntity(
    request.req,
    {
      bytes: await context.texts.read(file),
      gzipped: () => context.texts.gzipped(file),
      etag: file.etag,
      lastModified: file.lastModified,
      contentType: contentTypeOf(relative),
      cacheControl: !fixedName && isContentAddressed(relative) ? immutableCache(context) : 'public, no-cache',
    },
    context.options.gzipMinBytes,
  );
  return sendEntity(request.req, request.res, entity);
}

function playlistEntity(request: RequestContext, context: ServeContext, file: FileInfo, immutable: boolean): Promise<Entity> {
  return context.texts.read(file).then((bytes) =>
    textEntity(
      request.req,
      {
        bytes,
        gzipped: () => context.texts.gzipped(file),
        etag: file.etag,
        lastModified: file.lastModified,
        contentType: 'application/vnd.apple.mpegurl',
        cacheControl: immutable ? immutableCache(context) : `public, max-age=${context.options.playlistMaxAgeSec}`,
      },
      context.options.gzipMinBytes,
    ),
  );
}

/**
 * `?session=ID`: the master of the session's codec family (whichever master was asked for: players
 * cannot switch families), its profile's variant listed first so that players start on it.
 * Private and revalidated: it changes when the session's profile does.
 */
async function sendSessionMaster(request: RequestContext, context: ServeContext, trackId: string, requested: string, sessionId: string): Promise<void> {
  const { session, profile, masterFile } = await context.streaming.sessionProfile(sessionId);
  if (session.track_id !== trackId) {
    throw new HlsaudioError('E_FIELD', `Expected \`session\` to be a session of track ${JSON.stringify(trackId)}, got one of track ${JSON.stringify(session.track_id)}`, { field: 'session' });
  }
  const found = await context.tracks.trackFile(trackId, masterFile);
  if (!found) throw unknownTrack(trackId);
  if (!found.file || !found.track.masters.some((master) => master.file === requested)) {
    throw notFound(`Track ${JSON.stringify(trackId)} has no master ${JSON.stringify(requested)}`);
  }
  const variant = found.track.variants.find((candidate) => candidate.quality_id === profile.quality_id);
  const text = (await context.texts.read(found.file)).toString('utf8');
  const bytes = Buffer.from(variant ? masterWithVariantFirst(text, variant.playlist) : text);
  const entity = await textEntity(
    request.req,
    {
      bytes,
      gzipped: () => gzipBytes(bytes),
      etag: contentEtag(bytes),
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: 'private, no-cache',
    },
    context.options.gzipMinBytes,
  );
  return sendEntity(request.req, request.res, entity);
}

export function unknownTrack(trackId: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_TRACK', `No track ${JSON.stringify(trackId)} in this folder`, { field: 'track_id' });
}

export function unknownQuality(track: TrackInfo, quality: string): HlsaudioError {
  return new HlsaudioError('E_UNKNOWN_QUALITY', `Track ${JSON.stringify(track.id)} has no quality ${JSON.stringify(quality)}; it has ${track.profiles.map((p) => p.quality_id).join(', ')}`, {
    field: 'quality',
  });
}
