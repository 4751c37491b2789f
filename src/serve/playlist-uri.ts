/**
 * The file a playlist URI names, relative to the playlist: the URI less its query and fragment.
 * A playlist edited by hand or by another tool may add a query (`audio.aac?v=1`); the server answers
 * such a request as for the bare path, and must read the same file when it maps a playlist's URIs to
 * files itself.
 */
export function uriFile(uri: string): string {
  const end = uri.search(/[?#]/);
  return end === -1 ? uri : uri.slice(0, end);
}
