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

/**
 * The URL as it may be shown: the password replaced by `***`, in the user part and in any parameter
 * named `…password` (`password`, `sentinelPassword`). A URL naming several hosts
 * (`redis+sentinel://h1:26379,h2:26379/m`) or a bad port, which WHATWG URL does not parse, keeps
 * its host list as written.
 */
export function maskUrlCredentials(value: string): string {
  const url = parseUrl(value);
  if (url) return maskParsed(url);
  const withHosts = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?)([^/?#\s]+)(.*)$/is.exec(value);
  const stand = parseUrl(withHosts ? `${withHosts[1]}${HOSTS_PLACEHOLDER}${withHosts[3]}` : '');
  if (withHosts && stand) return maskParsed(stand).replace(HOSTS_PLACEHOLDER, withHosts[2]!);
  // Unparsable: hide whatever sits where credentials would.
  return value.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&][a-z]*password=)[^&]*/gi, '$1***');
}

/** Stands for a host list while the rest of the URL is parsed (a reserved, never resolved, name). */
const HOSTS_PLACEHOLDER = 'hosts.invalid';

function maskParsed(url: URL): string {
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) if (/password$/i.test(key)) url.searchParams.set(key, '***');
  return url.href;
}
