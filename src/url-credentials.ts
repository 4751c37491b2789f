/**
 * URLs of the services `serve` connects to (`--redis`, `--db postgres://…`) carry credentials
 * (`redis://user:secret@host`, `postgres://hls:secret@db/x?password=…`): every message and log line
 * that names a server shows it through `maskUrlCredentials`.
 */

/** The URL, or undefined when it does not parse. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** The URL as it may be shown: the password replaced by `***`, in the user part and in a `password` parameter. */
export function maskUrlCredentials(value: string): string {
  const url = parseUrl(value);
  // Unparsable: hide whatever sits where credentials would.
  if (!url) return value.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&]password=)[^&]*/i, '$1***');
  if (url.password) url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.href;
}
