import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createSsoClient, SsoError, type SsoProvider } from '../../../lib/oidc';
import { createSsoService } from '../../../services/sso';
import { type AppDeps, createRouter } from '../../env';
import { ProblemError } from '../../problem';
import { jsonBody, jsonResponse, problems } from '../../schemas';
import { TokenSchema } from './routes';

/** Single sign-on with OpenID Connect (docs/spec.md §11): the routes and their handlers. */

const FLOW_COOKIE = 'ale_sso_flow';
const COOKIE_PATH = '/v1/auth/sso';

const ProviderParam = z.object({
  provider: z
    .string()
    .max(40)
    .openapi({ param: { in: 'path' }, example: 'google', description: '`google` or `microsoft`' }),
});

const ProvidersSchema = z
  .object({
    items: z.array(
      z.object({
        provider: z.enum(['google', 'microsoft']),
        name: z.string(),
        startUrl: z.string().openapi({ description: 'Open in the browser to sign in' }),
      }),
    ),
  })
  .openapi('SsoProviders');

// What providers send back (RFC 6749 §4.1.2, RFC 9207 `iss`); other parameters are ignored. Each
// is printable ASCII and bounded, so the URL stays under Node's 16 KB header limit (a longer one is
// answered 431 by the HTTP server before the app). Microsoft's codes run to about 1 500 characters.
const asciiParam = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII')
    .optional();
const CallbackQuery = z.object({
  code: asciiParam(2048),
  state: asciiParam(128),
  iss: asciiParam(256),
  error: asciiParam(64),
});

const ExchangeSchema = z.object({ code: z.string().min(1).max(512) }).openapi('SsoExchange');

const redirect = (description: string) => ({
  description,
  headers: { Location: { description: 'Where the browser goes next', schema: { type: 'string' as const } } },
});

export function ssoRouteDefinitions() {
  return {
    list: createRoute({
      method: 'get',
      path: '/v1/auth/sso',
      tags: ['auth'],
      summary: 'The single-sign-on providers configured here',
      responses: { 200: jsonResponse(ProvidersSchema, 'The providers') },
    }),
    start: createRoute({
      method: 'get',
      path: '/v1/auth/sso/{provider}/start',
      tags: ['auth'],
      summary: "Redirect the browser to the provider's sign-in (authorization code with PKCE)",
      request: { params: ProviderParam },
      responses: {
        302: redirect("To the provider's authorization endpoint"),
        404: problems[404],
        503: problems[503],
      },
    }),
    callback: createRoute({
      method: 'get',
      path: '/v1/auth/sso/{provider}/callback',
      tags: ['auth'],
      summary:
        'Where the provider sends the browser back; redirects to the web app with a one-time code or error=',
      request: { params: ProviderParam, query: CallbackQuery },
      responses: {
        302: redirect('To `<VUE_APP_URI>/sso/callback?code=…` (60 s, once) or `?error=…`'),
        404: problems[404],
      },
    }),
    exchange: createRoute({
      method: 'post',
      path: '/v1/auth/sso/exchange',
      tags: ['auth'],
      summary: "Turn the callback's one-time code into a token pair",
      request: { body: jsonBody(ExchangeSchema) },
      responses: {
        200: jsonResponse(TokenSchema, 'Signed in'),
        401: problems[401],
        422: problems[422],
      },
    }),
  };
}

export function ssoRoutes(deps: AppDeps) {
  const { config } = deps;
  const routes = ssoRouteDefinitions();
  const sso = createSsoClient(config);
  const service = createSsoService(deps);
  const secureCookie = config.API_PUBLIC_URL.startsWith('https://');

  function configured(id: string): SsoProvider {
    const provider = sso.provider(id);
    if (!provider) throw new ProblemError(404, `No single-sign-on provider "${id}" is configured here.`);
    return provider;
  }

  /** Back to the web app; the flow cookie is spent whatever the outcome. */
  function toWebApp(c: Context, outcome: { code: string } | { error: string }) {
    deleteCookie(c, FLOW_COOKIE, { path: COOKIE_PATH, secure: secureCookie });
    const target = new URL(`${config.VUE_APP_URI}/sso/callback`);
    if ('code' in outcome) target.searchParams.set('code', outcome.code);
    else target.searchParams.set('error', outcome.error);
    c.header('Cache-Control', 'no-store');
    return c.redirect(target.toString(), 302);
  }

  return createRouter()
    .openapi(routes.list, (c) =>
      c.json(
        {
          items: sso.providers.map((p) => ({
            provider: p.id,
            name: p.name,
            startUrl: `/v1/auth/sso/${p.id}/start`,
          })),
        },
        200,
      ),
    )
    .openapi(routes.start, async (c) => {
      const provider = configured(c.req.valid('param').provider);
      let started: Awaited<ReturnType<typeof sso.start>>;
      try {
        started = await sso.start(provider);
      } catch (error) {
        if (!(error instanceof SsoError)) throw error;
        c.var.logger.warn(
          { provider: provider.id, reason: error.message },
          'single sign-on: provider unavailable',
        );
        throw new ProblemError(503, `${provider.name} cannot be reached; try again shortly.`);
      }
      // The flow's state, nonce and PKCE verifier, sealed, for this browser only. SameSite=Lax: the
      // provider's redirect back is a top-level GET, which Lax cookies accompany.
      setCookie(c, FLOW_COOKIE, started.sealedFlow, {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'Lax',
        secure: secureCookie,
        maxAge: 600,
      });
      c.header('Cache-Control', 'no-store');
      return c.redirect(started.url.toString(), 302) as never;
    })
    .openapi(routes.callback, async (c) => {
      const provider = configured(c.req.valid('param').provider);
      const query = new URL(c.req.url).searchParams;
      const providerError = query.get('error');
      if (providerError) {
        return toWebApp(c, {
          error: /^[a-z_]{1,64}$/.test(providerError) ? providerError : 'access_denied',
        }) as never;
      }
      const flow = await sso.openFlow(getCookie(c, FLOW_COOKIE));
      if (!flow) return toWebApp(c, { error: 'invalid_state' }) as never;
      try {
        const identity = await sso.finish(provider, flow, query);
        const outcome = await service.signIn(provider.id, identity, c.var.logger);
        return toWebApp(c, 'code' in outcome ? outcome : { error: outcome.refused }) as never;
      } catch (error) {
        if (!(error instanceof SsoError)) throw error;
        // The reason is the library's (no token or code in it); the web app gets the category.
        c.var.logger.warn({ provider: provider.id, reason: error.message }, 'single sign-on refused');
        return toWebApp(c, { error: error.code }) as never;
      }
    })
    .openapi(routes.exchange, async (c) => c.json(await service.exchange(c.req.valid('json').code), 200));
}
