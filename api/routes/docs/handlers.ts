import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import { type AppDeps, createRouter } from '../../env';
import { homeRoute } from './routes';

const require = createRequire(import.meta.url);
const swaggerUiDist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const { version: SWAGGER_UI_VERSION } = require('swagger-ui-dist/package.json') as { version: string };

/** Swagger UI's assets come from the installed swagger-ui-dist, so /docs works with no network. */
const ASSETS_BASE = '/docs/assets';
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

export function docsRoutes({ config }: AppDeps) {
  const cache = new Map<string, Promise<Buffer>>();
  const asset = (file: string) => {
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = fs.readFile(path.join(swaggerUiDist, file));
      cache.set(file, bytes);
    }
    return bytes;
  };
  return createRouter()
    .openapi(homeRoute, (c) =>
      c.json(
        {
          name: 'ALE Backend API',
          next: 'Log in with POST /v1/auth/login {email, password}, then send Authorization: Bearer <accessToken>; /docs lists every operation.',
          links: {
            docs: '/docs',
            openapi: '/openapi.json',
            login: '/v1/auth/login',
            health: '/health',
            ready: '/ready',
            temporalUi: config.TEMPORAL_UI_URL,
          },
        },
        200,
      ),
    )
    .get(
      '/docs',
      // @hono/swagger-ui names its assets `<baseUrl>/swagger-ui-dist@<version>/<file>`: served below.
      swaggerUI({
        url: '/openapi.json',
        baseUrl: ASSETS_BASE,
        version: SWAGGER_UI_VERSION,
        title: 'ALE Backend API',
      }),
    )
    .get(`${ASSETS_BASE}/swagger-ui-dist@${SWAGGER_UI_VERSION}/:file`, async (c) => {
      const file = c.req.param('file');
      const contentType = ASSETS[file];
      if (!contentType) return c.notFound();
      return c.body(new Uint8Array(await asset(file)), 200, {
        'Content-Type': contentType,
        // The version is in the path: a new swagger-ui-dist is a new URL.
        'Cache-Control': 'public, max-age=31536000, immutable',
      });
    });
}
