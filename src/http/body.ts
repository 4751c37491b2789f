import type { IncomingMessage } from 'node:http';
import { HlsaudioError } from '../errors.js';
import { parseJson } from '../json.js';

/**
 * A request body, at most `maxBytes`: a Content-Length over it is refused before a byte is read, a
 * chunked body as soon as it passes it (E_BODY_TOO_LARGE, 413; the answer then closes the
 * connection rather than read the rest). The one body reader of every HTTP layer.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new HlsaudioError('E_BODY_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body parsed as JSON (E_BAD_JSON when it is empty or not JSON). Any content type is read: `sendBeacon` sends text/plain. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = (await readBody(req, maxBytes)).toString('utf8');
  if (text.trim() === '') throw new HlsaudioError('E_BAD_JSON', 'The request body is empty; expected a JSON object');
  try {
    return parseJson(text);
  } catch (error) {
    throw new HlsaudioError('E_BAD_JSON', `The request body is not valid JSON (${(error as Error).message})`);
  }
}
