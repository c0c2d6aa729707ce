import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';

/**
 * Verifies the Temporal Web UI's OIDC access tokens for the codec endpoint (docs/spec.md §12): the
 * signature against the issuer's JWKS (found through its discovery document, fetched once and
 * cached with jose's key-rotation handling), the issuer and the audience, `exp` required.
 */
export interface OidcVerifier {
  verify(token: string): Promise<JWTPayload>;
}

export class OidcTokenError extends Error {}

/** Whether a bearer token is one of our HS256 access tokens rather than an identity provider's. */
export function isOwnAccessToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).alg === 'HS256';
  } catch {
    return true;
  }
}

export function createOidcVerifier(options: { issuer: string; audience: string }): OidcVerifier {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    jwks ??= (async () => {
      const discovery = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
      if (!response.ok)
        throw new OidcTokenError(`the issuer's discovery document answered ${response.status}`);
      const { jwks_uri: jwksUri, issuer } = (await response.json()) as { jwks_uri?: string; issuer?: string };
      if (!jwksUri) throw new OidcTokenError('the issuer publishes no jwks_uri');
      if (issuer && issuer !== options.issuer) {
        throw new OidcTokenError('the discovery document names another issuer');
      }
      return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000 });
    })().catch((error) => {
      jwks = undefined; // an issuer that was down is asked again next time
      throw error;
    });
    return jwks;
  };
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, await keySet(), {
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp'],
          // Asymmetric algorithms only: an HS256 token signed with a public key must not pass.
          algorithms: [
            'RS256',
            'RS384',
            'RS512',
            'PS256',
            'PS384',
            'PS512',
            'ES256',
            'ES384',
            'ES512',
            'EdDSA',
          ],
        });
        return payload;
      } catch (error) {
        if (error instanceof OidcTokenError) throw error;
        throw new OidcTokenError((error as Error).message);
      }
    },
  };
}
