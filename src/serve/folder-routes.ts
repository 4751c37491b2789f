import { CATALOG_FILE } from '../catalog/schema.js';
import { VERSION } from '../version.js';
import type { ServeContext } from './context.js';
import { answerFromFreshFiles, fileBody, sendEntity } from './entity.js';
import { notFound } from '../http/reply.js';
import { sendJson } from '../http/reply.js';
import type { Router } from './router.js';

/** `/catalog.json` (the folder's catalog, revalidated on each use) and `/healthz`. */
export function addFolderRoutes(router: Router, context: ServeContext): void {
  // `package` replaces catalog.json by rename as each track lands.
  router.add('GET', '/catalog.json', ({ req, res }) =>
    answerFromFreshFiles(res, () => context.files.forget([CATALOG_FILE]), async () => {
      const file = await context.files.lookup([CATALOG_FILE]);
      if (!file) throw notFound('This folder has no catalog.json; `hlsaudio catalog <dir>` writes it');
      return sendEntity(req, res, {
        size: file.size,
        etag: file.etag,
        lastModified: file.lastModified,
        contentType: 'application/json; charset=utf-8',
        cacheControl: 'no-cache',
        ranges: true,
        body: fileBody(file, context.options.readChunkBytes),
      });
    }),
  );
  // Degraded is still 200: the node serves HTTP and its own connections' events; the reason says what is missing.
  router.add('GET', '/healthz', ({ res }) => {
    const reason = context.degradedReason?.();
    sendJson(res, 200, {
      status: reason === undefined ? 'ok' : 'degraded',
      ...(reason === undefined ? {} : { reason }),
      version: VERSION,
      uptime_s: Math.round((performance.now() - context.startedAtMs) / 1000),
      active_sessions: context.streaming.sessionCount,
    });
  });
}
