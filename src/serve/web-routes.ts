import { fileURLToPath } from 'node:url';
import { contentTypeOf } from './content-type.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, fileBody, sendEntity } from './entity.js';
import { FileCache } from './file-cache.js';
import { notFound } from '../http/reply.js';
import type { RequestContext, Router } from './router.js';

/**
 * The player page, all from the package itself: it works offline, with no CDN. The HTML and CSS are
 * in `web/`; the script is `dist/web/app.js`, bundled at build time from `web/src/*.ts` with the
 * typed client and hls.js inside.
 */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
// From the package root, so that the same path holds in dist/serve and, under vitest, in src/serve.
const BUNDLE_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Files a browser may fetch from each folder. */
const PAGE_FILES = /^[a-z-]+\.(html|css)$/;
const BUNDLE_FILES = /^app\.js(\.map)?$/;

/** `/` (the player page) and `/player/*` (its style sheet and its bundled script). */
export async function addWebRoutes(router: Router, context: ServeContext): Promise<void> {
  const options = { ttlMs: context.options.fileCacheTtlMs, capacity: context.options.webFileCacheEntries };
  const [web, bundle] = await Promise.all([FileCache.create(WEB_DIR, options), FileCache.create(BUNDLE_DIR, options)]);
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
  router.add('GET', '/player/:file', (request) => {
    const file = request.params.file!;
    return BUNDLE_FILES.test(file) ? serve(bundle, BUNDLE_FILES, () => file)(request) : serve(web, PAGE_FILES, () => file)(request);
  });
}
