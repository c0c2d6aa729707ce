import { errors, jwtVerify, SignJWT } from 'jose';

const ALGORITHM = 'HS256';
const ISSUER = 'ale-backend';
/** Distinct from access tokens (`typ: access`, audience `ale-api`): neither verifies as the other. */
export const INVITATION_TOKEN_AUDIENCE = 'ale-invitation';
const TOKEN_TYPE = 'invitation';

export interface InvitationTokenClaims {
  invitationId: string;
  /** The invitation's token_id: the row must still carry it for the token to be usable. */
  tokenId: string;
  organizationId: string;
  email: string;
  expiresAt: Date;
}

function key(secret: string) {
  return new TextEncoder().encode(secret);
}

export async function signInvitationToken(claims: InvitationTokenClaims, secret: string): Promise<string> {
  return new SignJWT({ typ: TOKEN_TYPE, org: claims.organizationId, email: claims.email })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.invitationId)
    .setJti(claims.tokenId)
    .setIssuer(ISSUER)
    .setAudience(INVITATION_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(key(secret));
}

export class InvalidInvitationTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(
      reason === 'expired'
        ? 'This invitation has expired; ask for a new one.'
        : 'The invitation token is not valid.',
    );
  }
}

/** HS256 only, issuer/audience/typ pinned, `sub`, `jti`, `exp` required. */
export async function verifyInvitationToken(
  token: string,
  secret: string,
): Promise<Omit<InvitationTokenClaims, 'expiresAt'>> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: INVITATION_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'sub', 'jti'],
    });
    const { sub, jti, org, email } = payload;
    if (
      payload.typ !== TOKEN_TYPE ||
      typeof sub !== 'string' ||
      typeof jti !== 'string' ||
      typeof org !== 'string' ||
      typeof email !== 'string'
    ) {
      throw new InvalidInvitationTokenError('invalid');
    }
    return { invitationId: sub, tokenId: jti, organizationId: org, email };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new InvalidInvitationTokenError('expired');
    throw new InvalidInvitationTokenError('invalid');
  }
}
