import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { CHROMIUM_HELP, findChromium } from '../../scripts/stack/chromium';
import { call } from '../support/http';
import { stack } from '../support/stack';

const run = promisify(execFile);

/** The DOM of `url` after headless Chromium ran its scripts; every host but this machine unreachable. */
async function renderedDom(chromium: string, url: string): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-chromium-'));
  try {
    const { stdout } = await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        // A CDN asset would fail to load, and Swagger UI would render nothing: this is the offline check.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        '--virtual-time-budget=20000',
        '--dump-dom',
        url,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
    );
    return stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

describe('GET /docs in headless Chromium (Swagger UI from the installed swagger-ui-dist)', () => {
  let server: ReturnType<typeof serve>;
  let base: string;

  before(async () => {
    const app = stack().createApp();
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('renders every operation with no network but this machine', async function () {
    this.timeout(120_000);
    const chromium = findChromium();
    assert.ok(chromium, CHROMIUM_HELP);
    const dom = await renderedDom(chromium, `${base}/docs`);
    // Operations are rendered by Swagger UI's script from /openapi.json; the served HTML has none.
    const paths = [...dom.matchAll(/class="opblock-summary-path"[^>]*data-path="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(
      paths.includes('/v1/organizations/{orgId}/imports'),
      `rendered operations: ${paths.join(', ')}`,
    );
    assert.ok(paths.includes('/v1/auth/login'));
    const documented = await call(stack().createApp(), 'GET', '/openapi.json');
    const operations = Object.values(documented.body.paths as Record<string, object>).reduce(
      (count: number, item) => count + Object.keys(item).length,
      0,
    );
    assert.equal(paths.length, operations, 'one rendered block per documented operation');
  });

  it('serves the UI and its assets itself, with no CDN in the page', async () => {
    const page = await fetch(`${base}/docs`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.doesNotMatch(html, /https?:\/\//, 'the page loads nothing from another origin');
    const assets = [...html.matchAll(/(?:href|src)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.equal(assets.length, 2, html);
    for (const asset of assets) {
      const response = await fetch(`${base}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.match(
        response.headers.get('content-type') ?? '',
        asset.endsWith('.css') ? /text\/css/ : /javascript/,
      );
      assert.ok((await response.arrayBuffer()).byteLength > 10_000, asset);
    }
    // Only the UI's own files are served from the package, nothing else in it.
    const folder = path.posix.dirname(assets[0] as string);
    assert.equal((await fetch(`${base}${folder}/package.json`)).status, 404);
  });
});

describe('GET /', () => {
  it('links to the docs, the OpenAPI document, the health endpoints and the Temporal UI', async () => {
    const response = await call(stack().createApp(), 'GET', '/');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.links, {
      docs: '/docs',
      openapi: '/openapi.json',
      login: '/v1/auth/login',
      health: '/health',
      ready: '/ready',
      temporalUi: stack().config.TEMPORAL_UI_URL,
    });
    const app = stack().createApp();
    for (const link of ['docs', 'openapi', 'health', 'ready'] as const) {
      assert.equal((await call(app, 'GET', response.body.links[link])).status, 200, link);
    }
  });
});
