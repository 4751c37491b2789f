import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentTypeOf } from './content-type.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, fileBody, sendEntity } from './entity.js';
import { FileCache } from './file-cache.js';
import { notFound } from '../http/reply.js';
import type { RequestContext, Router } from './router.js';

/** The player page and what it loads, all from the package itself: it works offline, with no CDN. */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const DIST_DIR = fileURLToPath(new URL('../', import.meta.url));
const HLS_JS_DIR = join(dirname(createRequire(import.meta.url).resolve('hls.js/package.json')), 'dist');

/** Files a browser may fetch from each folder: the page's own, hls.js's ES module, the typed client. */
const PAGE_FILES = /^[a-z-]+\.(html|css|js)$/;
const HLS_JS_FILES = /^hls\.min\.mjs(\.map)?$/;
const CLIENT_FILES = /^[a-z-]+\.js(\.map)?$/;
/** The client imports the protocol module and the option resolver; nothing else of the server is served. */
const CLIENT_PROTOCOL_FILES = /^(protocol|events-gap)\.js(\.map)?$/;
const CLIENT_SHARED_FILES = /^option-table\.js(\.map)?$/;

/**
 * `/` (the player page), `/player/*` (its scripts and styles), `/vendor/hls.min.mjs` (hls.js from
 * node_modules) and `/lib/client/*` (the typed WebSocket client, compiled ES modules, as the browser
 * imports them without a bundler).
 */
export async function addWebRoutes(router: Router, context: ServeContext): Promise<void> {
  const options = { ttlMs: context.options.fileCacheTtlMs, capacity: context.options.webFileCacheEntries };
  const [web, vendor, client, protocol, shared] = await Promise.all([
    FileCache.create(WEB_DIR, options),
    FileCache.create(HLS_JS_DIR, options),
    FileCache.create(join(DIST_DIR, 'client'), options),
    FileCache.create(join(DIST_DIR, 'realtime'), options),
    FileCache.create(DIST_DIR, options),
  ]);
  const serve = (files: FileCache, allowed: RegExp, name: (request: RequestContext) => string) => (request: RequestContext) =>
    answerFromFreshFiles(request.res, () => files.forget([name(request)]), async () => {
      const file = allowed.test(name(request)) ? await files.lookup([name(request)]) : undefined;
      if (!file) throw notFound('No such file of the player page');
      return sendEntity(request.req, request.res, {
        size: file.size,
        etag: file.etag,
        lastModified: file.lastModified,
        contentType: contentTypeOf(file.path),
        cacheControl: 'no-cache',
        ranges: false,
        body: fileBody(file, context.options.readChunkBytes),
      });
    });
  router.add('GET', '/', serve(web, PAGE_FILES, () => 'index.html'));
  router.add('GET', '/player/:file', serve(web, PAGE_FILES, ({ params }) => params.file!));
  router.add('GET', '/vendor/:file', serve(vendor, HLS_JS_FILES, ({ params }) => params.file!));
  router.add('GET', '/lib/client/:file', serve(client, CLIENT_FILES, ({ params }) => params.file!));
  router.add('GET', '/lib/realtime/:file', serve(protocol, CLIENT_PROTOCOL_FILES, ({ params }) => params.file!));
  router.add('GET', '/lib/:file', serve(shared, CLIENT_SHARED_FILES, ({ params }) => params.file!));
}
