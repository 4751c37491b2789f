import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import { describe, displayPath, HlsaudioError, quote } from '../errors.js';
import { ID_EXPECTED, isId } from '../ids.js';
import type { RealtimeLimits } from './options.js';

/**
 * Who is on the other end of a connection or a publish request. Tokens are JWTs verified with jose:
 * HS256 with a shared secret, or the public keys of a JWKS file (both may be set: the token's `alg`
 * picks). With neither, the server runs in anonymous mode: `user_id` is taken as the client says
 * (the spec's query parameter) and any token is ignored, since nothing could verify it.
 */
export interface AuthOptions {
  /** HS256 secret, at least `jwtSecretMinBytes` bytes. Env: HLSAUDIO_JWT_SECRET. */
  jwtSecret?: string | undefined;
  /** A JSON Web Key Set file of public keys (`{"keys": [...]}`). Env: HLSAUDIO_JWKS_FILE. */
  jwksFile?: string | undefined;
  /** When set, a token's `iss` must equal it. Env: HLSAUDIO_JWT_ISSUER. */
  jwtIssuer?: string | undefined;
  /** When set, a token's `aud` must contain it. Env: HLSAUDIO_JWT_AUDIENCE. */
  jwtAudience?: string | undefined;
  /** With a key configured, let connections without a token in, as anonymous (no user). Default false. */
  allowAnonymous?: boolean | undefined;
}

/** What the authenticator reads: the keys, and the limits of `realtimeOptions` it applies. */
export type AuthSettings = AuthOptions & Pick<RealtimeLimits, 'jwtClockToleranceSec' | 'eventsPublishScope' | 'eventsReadAllScope' | 'jwtSecretMinBytes' | 'jwksAlgorithms'>;

/** The env variables the serve CLI maps to AuthOptions (flags win over them). */
export function authOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AuthOptions {
  return {
    jwtSecret: env.HLSAUDIO_JWT_SECRET || undefined,
    jwksFile: env.HLSAUDIO_JWKS_FILE || undefined,
    jwtIssuer: env.HLSAUDIO_JWT_ISSUER || undefined,
    jwtAudience: env.HLSAUDIO_JWT_AUDIENCE || undefined,
  };
}

export interface Identity {
  user_id: string | null;
  /** True when a verified token vouches for `user_id`. */
  authenticated: boolean;
  /** When the token stops being accepted (`exp` plus the clock tolerance), in ms: the connection is closed then (4003). */
  expires_at_ms: number | null;
  /** The token's `scope` claim, split (RFC 8693); empty without a verified token. */
  scopes: readonly string[];
}

type KeyResolver = (header: JWSHeaderParameters) => Promise<Uint8Array | CryptoKey>;

export class Authenticator {
  private constructor(
    private readonly resolveKey: KeyResolver | undefined,
    private readonly algorithms: string[],
    private readonly options: AuthSettings,
  ) {}

  /** `options` as resolveRealtimeOptions gives them. */
  static async create(options: AuthSettings): Promise<Authenticator> {
    const secret = options.jwtSecret === undefined ? undefined : hmacSecret(options.jwtSecret, options.jwtSecretMinBytes);
    const jwks = options.jwksFile === undefined ? undefined : createLocalJWKSet(await readJwks(options.jwksFile));
    const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? options.jwksAlgorithms : [])];
    const resolveKey: KeyResolver | undefined =
      secret || jwks
        ? async (header) => {
            if (header.alg === 'HS256' && secret) return secret;
            if (jwks) return jwks(header);
            throw new HlsaudioError('E_AUTH', `token algorithm ${header.alg} is not accepted (expected HS256)`);
          }
        : undefined;
    return new Authenticator(resolveKey, algorithms, options);
  }

  /** 'jwt' when tokens are verified; 'anonymous' when no key is configured. */
  get mode(): 'jwt' | 'anonymous' {
    return this.resolveKey ? 'jwt' : 'anonymous';
  }

  /** The connecting client's identity, or E_AUTH (HTTP 401) when its token does not vouch for it. */
  async identify(token: string | undefined, claimedUserId: string | undefined): Promise<Identity> {
    if (!this.resolveKey) return { user_id: claimedUserId ?? null, authenticated: false, expires_at_ms: null, scopes: [] };
    if (token === undefined) {
      if (this.options.allowAnonymous && claimedUserId === undefined) return { user_id: null, authenticated: false, expires_at_ms: null, scopes: [] };
      throw new HlsaudioError('E_AUTH', 'a token is required: connect with ?token=<JWT> (or an Authorization: Bearer header)', { field: 'token' });
    }
    const payload = await this.verify(token);
    const sub = subjectOf(payload);
    if (claimedUserId !== undefined && claimedUserId !== sub) {
      throw new HlsaudioError('E_AUTH', `user_id ${quote(claimedUserId)} does not match the token's subject`, { field: 'user_id' });
    }
    // The connection lives as long as the token would still be accepted.
    const toleranceMs = this.options.jwtClockToleranceSec * 1000;
    return { user_id: sub, authenticated: true, expires_at_ms: typeof payload.exp === 'number' ? payload.exp * 1000 + toleranceMs : null, scopes: scopesOf(payload) };
  }

  /** A publisher of `POST /api/events`: a valid token (E_AUTH, 401) whose scope grants publishing (E_FORBIDDEN, 403). */
  async authorizePublisher(token: string | undefined): Promise<void> {
    if (!this.resolveKey) {
      throw new HlsaudioError('E_FORBIDDEN', 'publishing events needs a configured key (jwtSecret or jwksFile): the server runs in anonymous mode');
    }
    await this.authorizeScope(token, this.options.eventsPublishScope);
  }

  /**
   * The caller of an HTTP endpoint that needs `scope`, in JWT mode: a valid bearer token (E_AUTH, 401)
   * whose `scope` claim (space-separated, RFC 8693) holds it (E_FORBIDDEN, 403). In anonymous mode
   * nothing could verify a token: the endpoint decides what it does then.
   */
  async authorizeScope(token: string | undefined, scope: string): Promise<void> {
    if (!this.resolveKey) throw new HlsaudioError('E_FORBIDDEN', `${scope} needs a configured key (jwtSecret or jwksFile): the server runs in anonymous mode`);
    if (token === undefined) throw new HlsaudioError('E_AUTH', 'a token is required: send Authorization: Bearer <JWT>', { field: 'authorization' });
    const payload = await this.verify(token);
    if (!scopesOf(payload).includes(scope)) throw new HlsaudioError('E_FORBIDDEN', `the token's scope does not include ${scope}`, { field: 'scope' });
  }

  private async verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.resolveKey!, {
        algorithms: this.algorithms,
        clockTolerance: this.options.jwtClockToleranceSec,
        ...(this.options.jwtIssuer ? { issuer: this.options.jwtIssuer } : {}),
        ...(this.options.jwtAudience ? { audience: this.options.jwtAudience } : {}),
      });
      return payload;
    } catch (cause) {
      if (cause instanceof HlsaudioError) throw cause;
      throw new HlsaudioError('E_AUTH', tokenProblem(cause), { field: 'token', cause });
    }
  }
}

/** The token's subject, which must be an id (src/ids.ts) like every user_id. */
function subjectOf(payload: JWTPayload): string {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new HlsaudioError('E_AUTH', 'the token has no subject (`sub` claim)', { field: 'token' });
  if (!isId(payload.sub)) throw new HlsaudioError('E_AUTH', `Expected the token's subject (\`sub\` claim) to be ${ID_EXPECTED}, got ${describe(payload.sub)}`, { field: 'token' });
  return payload.sub;
}

function scopesOf(payload: JWTPayload): string[] {
  return typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
}

function tokenProblem(cause: unknown): string {
  const error = cause as { code?: string; claim?: string; reason?: string; message?: string };
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the token's \`${error.claim}\` claim is not accepted (${error.reason})`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm that is not accepted';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the JWKS file matches the token';
    default:
      return 'the token is not a valid JWT';
  }
}

function hmacSecret(secret: string, minimum: number): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < minimum) {
    // The secret itself is never shown.
    throw new HlsaudioError('E_OPTION', `Expected \`jwtSecret\` to be at least ${minimum} bytes (RFC 7518 section 3.2), got ${bytes.length} bytes`, {
      field: 'jwtSecret',
    });
  }
  return bytes;
}

async function readJwks(file: string): Promise<JSONWebKeySet> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new HlsaudioError('E_OPTION', `Expected \`jwksFile\` to be a readable JSON Web Key Set file, got ${displayPath(file)} (${(cause as Error).message})`, {
      field: 'jwksFile',
      file,
      cause,
    });
  }
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new HlsaudioError('E_OPTION', `Expected \`jwksFile\` to hold {"keys": [...]} with at least one key, got ${displayPath(file)} without keys`, {
      field: 'jwksFile',
      file,
    });
  }
  return value as JSONWebKeySet;
}
