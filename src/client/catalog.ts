/**
 * A catalog.json entry as the client reads it: the client's own copy of the fields it uses, so that
 * it does not import the packager's schema module (which imports Node). test/unit/client/catalog.test.ts
 * checks that the packager's CatalogEntry still fits it.
 */
export interface ClientMasterInfo {
  /** Relative to the track folder. */
  file: string;
  codec_family: string;
  /** quality_ids in the order the master lists them. */
  profiles: string[];
}

export interface ClientCatalogEntry {
  id: string;
  title: string;
  artist: string | null;
  album: string | null;
  duration_ms: number;
  master: string;
  masters: ClientMasterInfo[];
  profiles: string[];
}
