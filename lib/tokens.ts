import { createHash, randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

const ALGORITHM = 'HS256';
const ISSUER = 'ale-backend';
export const ACCESS_TOKEN_AUDIENCE = 'ale-api';

export interface AccessTokenClaims {
  userId: string;
  /** The session the token belongs to (docs/spec.md §11): ending it ends the token. */
  sessionId: string;
}

function key(secret: string) {
  return new TextEncoder().encode(secret);
}

export async function signAccessToken(
  claims: AccessTokenClaims,
  options: { secret: string; expiresInSeconds: number },
): Promise<string> {
  return new SignJWT({ typ: 'access', sid: claims.sessionId })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.expiresInSeconds}s`)
    .sign(key(options.secret));
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(
      reason === 'expired' ? 'The access token has expired; log in again.' : 'The access token is not valid.',
    );
  }
}

// Every request verifies a token: the HMAC key is imported once per secret instead of on each call
// (what jose does when handed raw bytes), a good part of a verification's CPU.
const verifyKeys = new Map<string, Promise<CryptoKey>>();
function verifyKey(secret: string) {
  let cryptoKey = verifyKeys.get(secret);
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey('raw', key(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    verifyKeys.set(secret, cryptoKey);
  }
  return cryptoKey;
}

/**
 * Tokens that verified, with their claims, until they expire: a session sends the same token with
 * every request, and its HS256 check (WebCrypto, an async job on the thread pool) is a visible share
 * of a search request's server CPU (docs/benchmarks.md). Nothing else is decided from the cache: the
 * user, the membership and whether the token's session is still open (docs/spec.md §11) are read on
 * every request, so a revoked session stops at once; a token that failed is checked anew each time.
 * Bounded; the oldest entry goes first.
 */
const VERIFIED_MAX = 10_000;
type Verified = AccessTokenClaims & { exp: number };
const verifiedBySecret = new Map<string, Map<string, Verified>>();

function verifiedTokens(secret: string) {
  let verified = verifiedBySecret.get(secret);
  if (!verified) {
    verified = new Map();
    verifiedBySecret.set(secret, verified);
  }
  return verified;
}

/** Verifies an access token: HS256 only, `exp` required, issuer and audience pinned. */
export async function verifyAccessToken(token: string, secret: string): Promise<AccessTokenClaims> {
  const verified = verifiedTokens(secret);
  const known = verified.get(token);
  if (known) {
    // Expired as jose judges it: `exp` at or before the current second.
    if (known.exp > Math.floor(Date.now() / 1000))
      return { userId: known.userId, sessionId: known.sessionId };
    verified.delete(token);
    throw new InvalidTokenError('expired');
  }
  let claims: Verified;
  try {
    const { payload } = await jwtVerify(token, await verifyKey(secret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'sid'],
    });
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
      throw new InvalidTokenError('invalid');
    claims = { userId: payload.sub, sessionId: payload.sid, exp: payload.exp as number };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new InvalidTokenError('expired');
    throw new InvalidTokenError('invalid');
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, claims);
  return { userId: claims.userId, sessionId: claims.sessionId };
}

/**
 * The user of an access token signed by us, expired or not (a client refreshes once its access token
 * expired); null for anything else. Only to check who presents a refresh token, never to authorize.
 */
export async function accessTokenUser(token: string, secret: string): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(token, await verifyKey(secret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: new Date(0),
    });
    return payload.typ === 'access' && typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

/**
 * An opaque token (refresh, reset link, SSO exchange code): 32 random bytes, base64url. Only its
 * SHA-256 is stored, so a copy of the database opens nothing.
 */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function opaqueTokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
