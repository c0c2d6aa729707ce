import { createHash } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as client from 'openid-client';
import type { Config } from './config';

/**
 * Single sign-on with OpenID Connect through `openid-client` (docs/spec.md §11): authorization code
 * with PKCE, `state` and `nonce` checked. The providers are configured by environment; each one's
 * metadata comes from its issuer's discovery document, fetched once and kept.
 */

export const SSO_PROVIDERS = ['google', 'microsoft'] as const;
export type SsoProviderId = (typeof SSO_PROVIDERS)[number];

const NAMES: Record<SsoProviderId, string> = { google: 'Google', microsoft: 'Microsoft' };

export interface SsoProvider {
  id: SsoProviderId;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

type SsoConfig = Pick<
  Config,
  | 'OAUTH_GOOGLE_CLIENT_ID'
  | 'OAUTH_GOOGLE_CLIENT_SECRET'
  | 'OAUTH_GOOGLE_ISSUER'
  | 'OAUTH_MICROSOFT_CLIENT_ID'
  | 'OAUTH_MICROSOFT_CLIENT_SECRET'
  | 'OAUTH_MICROSOFT_TENANT'
  | 'OAUTH_MICROSOFT_ISSUER'
>;

/** The providers with a client id and secret, in a fixed order. */
export function configuredProviders(config: SsoConfig): SsoProvider[] {
  const providers: SsoProvider[] = [];
  if (config.OAUTH_GOOGLE_CLIENT_ID && config.OAUTH_GOOGLE_CLIENT_SECRET) {
    providers.push({
      id: 'google',
      name: NAMES.google,
      issuer: config.OAUTH_GOOGLE_ISSUER,
      clientId: config.OAUTH_GOOGLE_CLIENT_ID,
      clientSecret: config.OAUTH_GOOGLE_CLIENT_SECRET,
    });
  }
  const microsoftIssuer =
    config.OAUTH_MICROSOFT_ISSUER ??
    (config.OAUTH_MICROSOFT_TENANT
      ? `https://login.microsoftonline.com/${encodeURIComponent(config.OAUTH_MICROSOFT_TENANT)}/v2.0`
      : undefined);
  if (config.OAUTH_MICROSOFT_CLIENT_ID && config.OAUTH_MICROSOFT_CLIENT_SECRET && microsoftIssuer) {
    providers.push({
      id: 'microsoft',
      name: NAMES.microsoft,
      issuer: microsoftIssuer,
      clientId: config.OAUTH_MICROSOFT_CLIENT_ID,
      clientSecret: config.OAUTH_MICROSOFT_CLIENT_SECRET,
    });
  }
  return providers;
}

/** What the application needs from a successful sign-in. */
export interface SsoIdentity {
  subject: string;
  email: string | undefined;
  /** The provider vouches that the address belongs to this person. */
  emailVerified: boolean;
  name: string | undefined;
}

/** The per-browser secrets of one sign-in, kept in an encrypted cookie between start and callback. */
export interface SsoFlow {
  provider: SsoProviderId;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export class SsoError extends Error {
  constructor(
    /** The `error=` the web app receives. */
    readonly code: 'invalid_state' | 'invalid_response' | 'provider_unavailable',
    message: string,
  ) {
    super(message);
  }
}

const FLOW_LIFETIME_SECONDS = 600;
const FLOW_AUDIENCE = 'ale-sso-flow';

function flowKey(secret: string): Uint8Array {
  return createHash('sha256').update(`ale-sso-flow:${secret}`).digest();
}

/** Plain http is allowed for an issuer on this machine only (the tests' provider). */
const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/**
 * Microsoft's ID tokens rarely carry `email_verified`; `xms_edov` (email domain owner verified) is
 * Microsoft's word that the address's domain belongs to the account's organization.
 */
function emailVerified(provider: SsoProviderId, claims: Record<string, unknown>): boolean {
  if (claims.email_verified === true || claims.email_verified === 'true') return true;
  return provider === 'microsoft' && (claims.xms_edov === true || claims.xms_edov === 'true');
}

export function createSsoClient(config: SsoConfig & Pick<Config, 'AUTH_JWT_SECRET' | 'API_PUBLIC_URL'>) {
  const providers = configuredProviders(config);
  const discovered = new Map<SsoProviderId, Promise<client.Configuration>>();

  function provider(id: string): SsoProvider | undefined {
    return providers.find((p) => p.id === id);
  }

  function configuration(p: SsoProvider): Promise<client.Configuration> {
    let found = discovered.get(p.id);
    if (!found) {
      const issuer = new URL(p.issuer);
      found = client.discovery(issuer, p.clientId, p.clientSecret, undefined, {
        execute: isLoopback(issuer) ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      // A failed discovery is tried again by the next sign-in, not remembered.
      found.catch(() => discovered.delete(p.id));
      discovered.set(p.id, found);
    }
    return found.catch((error) => {
      throw new SsoError(
        'provider_unavailable',
        `${p.name} could not be reached: ${(error as Error).message}`,
      );
    });
  }

  const callbackUrl = (id: SsoProviderId) => `${config.API_PUBLIC_URL}/v1/auth/sso/${id}/callback`;

  return {
    providers,
    provider,
    callbackUrl,

    /** The provider's authorization URL for a new flow, and the flow's secrets (sealed for a cookie). */
    async start(p: SsoProvider): Promise<{ url: URL; sealedFlow: string }> {
      const flow: SsoFlow = {
        provider: p.id,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      };
      const url = client.buildAuthorizationUrl(await configuration(p), {
        redirect_uri: callbackUrl(p.id),
        scope: 'openid email profile',
        response_type: 'code',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      const sealedFlow = await new EncryptJWT({ ...flow })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setAudience(FLOW_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${FLOW_LIFETIME_SECONDS}s`)
        .encrypt(flowKey(config.AUTH_JWT_SECRET));
      return { url, sealedFlow };
    },

    /** The flow sealed by `start`, or undefined when missing, forged or expired. */
    async openFlow(sealed: string | undefined): Promise<SsoFlow | undefined> {
      if (!sealed) return undefined;
      try {
        const { payload } = await jwtDecrypt(sealed, flowKey(config.AUTH_JWT_SECRET), {
          audience: FLOW_AUDIENCE,
          requiredClaims: ['exp'],
        });
        const { provider: id, state, nonce, codeVerifier } = payload as Partial<SsoFlow>;
        if (typeof state !== 'string' || typeof nonce !== 'string' || typeof codeVerifier !== 'string') {
          return undefined;
        }
        return SSO_PROVIDERS.includes(id as SsoProviderId)
          ? { provider: id as SsoProviderId, state, nonce, codeVerifier }
          : undefined;
      } catch {
        return undefined;
      }
    },

    /**
     * Completes the flow: checks `state` against the cookie's, redeems the code at the token
     * endpoint with the PKCE verifier, and validates the ID token (signature, issuer, audience,
     * expiry and the cookie's `nonce`). `query` is the callback's query string.
     */
    async finish(p: SsoProvider, flow: SsoFlow, query: URLSearchParams): Promise<SsoIdentity> {
      if (flow.provider !== p.id || query.get('state') !== flow.state) {
        throw new SsoError('invalid_state', 'The sign-in state does not match this browser’s; start again.');
      }
      const configured = await configuration(p);
      const current = new URL(callbackUrl(p.id));
      current.search = query.toString();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(configured, current, {
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          pkceCodeVerifier: flow.codeVerifier,
          idTokenExpected: true,
        });
      } catch (error) {
        throw new SsoError('invalid_response', (error as Error).message);
      }
      let claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      if (typeof claims.email !== 'string') {
        // Some providers put the address in userinfo only.
        const info = await client
          .fetchUserInfo(configured, tokens.access_token, String(claims.sub))
          .catch((error: Error) => {
            throw new SsoError('invalid_response', error.message);
          });
        claims = { ...info, ...claims, email: info.email, email_verified: info.email_verified };
      }
      return {
        subject: String(claims.sub),
        email: typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : undefined,
        emailVerified: emailVerified(p.id, claims),
        name: typeof claims.name === 'string' ? claims.name.slice(0, 200) : undefined,
      };
    },
  };
}

export type SsoClient = ReturnType<typeof createSsoClient>;
