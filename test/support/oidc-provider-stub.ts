import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** What the next person signing in at the provider is. */
export interface StubAccount {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
}

/**
 * A real OpenID provider (the `oidc-provider` package, certified) on loopback, standing in for
 * Google or Microsoft: discovery, JWKS, authorization with PKCE, token endpoint and signed ID
 * tokens are its own, so the application's real `openid-client` code runs against it. Only the
 * interaction (the login page) is replaced by a handler that signs in `nextAccount` at once.
 */
export class OidcProviderStub {
  nextAccount: StubAccount | undefined;
  private readonly accounts = new Map<string, StubAccount>();

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  static async start(redirectUris: string[]): Promise<OidcProviderStub> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stub = new OidcProviderStub(server, issuer, 'ale-test-client', 'ale-test-client-secret-0123456789');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const minutes = () => 600;
    const provider = new Provider(issuer, {
      jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'stub' }] },
      ttl: {
        AccessToken: minutes,
        AuthorizationCode: minutes,
        Grant: minutes,
        IdToken: minutes,
        Interaction: minutes,
        Session: minutes,
      },
      clients: [
        {
          client_id: stub.clientId,
          client_secret: stub.clientSecret,
          redirect_uris: redirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      // Like Google's and Microsoft's, the ID token carries the scope's claims.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      pkce: { required: () => true },
      cookies: { keys: ['oidc-provider-stub-cookie-key'] },
      findAccount: async (_ctx, sub) => {
        const account = stub.accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: async () => ({ ...account }) };
      },
    });
    const callback = provider.callback();
    server.on('request', async (req, res) => {
      if (!req.url?.startsWith('/interaction/')) return callback(req, res);
      try {
        const details = await provider.interactionDetails(req, res);
        const account = stub.nextAccount;
        if (!account) throw new Error('no nextAccount set');
        stub.accounts.set(account.sub, account);
        const grant = new provider.Grant({
          accountId: account.sub,
          clientId: String(details.params.client_id),
        });
        grant.addOIDCScope('openid email profile');
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: account.sub }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end((error as Error).message);
      }
    });
    return stub;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
