/**
 * Sample mode (`npm run dev -- --sample-data`): a newcomer sees the product find real matches with
 * no network. A local web site shaped like OIG's serves a sample LEIE — five real rows, invented
 * excluded people (scripts/sample/) and a few hundred generated rows — and `seedSampleData` syncs
 * it and imports a demo organization's roster through the API, as a user would. Everything it
 * makes says SAMPLE DATA: the organization's name, the list's checks and status, the logs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLeieLine, generateLeieRows, LEIE_HEADER_LINE } from '../generate-leie';

const sampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../sample');
const PAGE_PATH = '/exclusions/exclusions_list.asp';
const CSV_PATH = '/exclusions/downloadables/UPDATED.csv';
const GENERATED_ROWS = 400;
const GENERATED_SEED = 20261204;
/** A fixed "last update", so a restart finds the list unchanged instead of loading it again. */
const SAMPLE_UPDATED_ON = '12-04-2026';

export const SAMPLE_ORGANIZATION = { name: 'Sample Home Care (SAMPLE DATA)', subdomain: 'sample-home-care' };
export const SAMPLE_ROSTER_FILE = path.join(sampleDir, 'roster.csv');

/** The sample UPDATED.csv, in the published format (CRLF, every field quoted). */
export function sampleLeieFile(): string {
  const dataLines = (file: string) =>
    fs
      .readFileSync(path.join(sampleDir, file), 'utf8')
      .split(/\r?\n/)
      .slice(1)
      .filter(Boolean)
      .map((line) => `${line}\r\n`)
      .join('');
  let body = LEIE_HEADER_LINE + dataLines('leie-real-rows.csv') + dataLines('leie-sample-people.csv');
  for (const row of generateLeieRows(GENERATED_ROWS, GENERATED_SEED)) body += formatLeieLine(row);
  return body;
}

export interface SampleOigSite {
  pageUrl: string;
  csvUrl: string;
  stop(): Promise<void>;
}

/** Serves the OIG page and the sample UPDATED.csv on 127.0.0.1 (`port` 0: any free port). */
export async function startSampleOigSite(port = 0): Promise<SampleOigSite> {
  const csv = Buffer.from(sampleLeieFile());
  const etag = `"${createHash('sha256').update(csv).digest('hex').slice(0, 32)}"`;
  const page = `<!DOCTYPE html><html><head><title>LEIE Downloadable Databases (SAMPLE DATA)</title></head>
<body><h1>LEIE Downloadable Databases — SAMPLE DATA, not the HHS-OIG list</h1>
<p>Last Update: ${SAMPLE_UPDATED_ON}</p><a href="${CSV_PATH}">UPDATED.csv</a></body></html>`;
  const server = http.createServer((request, response) => {
    if (request.url === PAGE_PATH) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (request.url === CSV_PATH && request.headers['if-none-match'] === etag) {
      response.writeHead(304, { etag }).end();
    } else if (request.url === CSV_PATH) {
      response.writeHead(200, { 'content-type': 'text/csv', 'content-length': csv.length, etag }).end(csv);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    pageUrl: `${base}${PAGE_PATH}`,
    csvUrl: `${base}${CSV_PATH}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SampleSeed {
  organizationId: string;
  openMatches: number;
}

/** The fields of the API's answers that the seeding reads. */
interface OigStatusBody {
  state: string;
  rowCount: number;
  lastCheck: { checkedAt: string; status: string; error: string | null } | null;
}
interface ImportBody {
  id: string;
  status: string;
  failureReason: string | null;
  counts: { total: number; rejected: number };
}

/**
 * Through the API, as the bootstrap admin: sync the sample list, create the demo organization (or
 * find it from an earlier run), import its roster, and wait until its screening shows open matches.
 */
export async function seedSampleData(options: {
  apiUrl: string;
  email: string;
  password: string;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<SampleSeed> {
  const { apiUrl, log } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let token = '';
  const api = async <T>(method: string, route: string, init: { json?: unknown; csv?: string } = {}) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.csv !== undefined) headers['content-type'] = 'text/csv';
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.csv,
    });
    if (!response.ok && response.status !== 409) {
      throw new Error(
        `sample data: ${method} ${route} answered ${response.status}: ${await response.text()}`,
      );
    }
    return { status: response.status, body: (await response.json()) as T };
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`sample data: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const { email, password } = options;
  token = (await api<{ accessToken: string }>('POST', '/v1/auth/login', { json: { email, password } })).body
    .accessToken;

  const requestedAt = new Date().toISOString();
  await api('POST', '/v1/oig/sync', { json: { force: false } });
  const status = await until('the sample LEIE sync', async () => {
    const { body } = await api<OigStatusBody>('GET', '/v1/oig/status');
    return body.lastCheck && body.lastCheck.checkedAt >= requestedAt ? body : undefined;
  });
  if (status.lastCheck?.status === 'failed') {
    throw new Error(`sample data: the sync failed: ${status.lastCheck.error}`);
  }
  log(
    `SAMPLE DATA: LEIE sample loaded (${status.rowCount} rows, state ${status.state}), not the HHS-OIG list`,
  );

  const created = await api<{ id: string }>('POST', '/v1/organizations', { json: SAMPLE_ORGANIZATION });
  let organizationId = created.body.id;
  if (created.status === 409) {
    const { body } = await api<{ items: { id: string; subdomain: string }[] }>(
      'GET',
      '/v1/organizations?limit=200',
    );
    const found = body.items.find((item) => item.subdomain === SAMPLE_ORGANIZATION.subdomain);
    if (!found) throw new Error(`sample data: the subdomain ${SAMPLE_ORGANIZATION.subdomain} is taken`);
    organizationId = found.id;
  }
  const orgPath = `/v1/organizations/${organizationId}`;
  await until('the demo organization to be active', async () => {
    const { body } = await api<{ status: string; failureReason: string | null }>('GET', orgPath);
    if (body.status === 'failed') throw new Error(`sample data: provisioning failed: ${body.failureReason}`);
    return body.status === 'active' ? true : undefined;
  });

  const csv = fs.readFileSync(SAMPLE_ROSTER_FILE, 'utf8');
  const started = await api<ImportBody>('POST', `${orgPath}/imports?kind=employees&mode=replace`, { csv });
  const finished = await until('the demo roster import', async () => {
    const { body } = await api<ImportBody>('GET', `${orgPath}/imports/${started.body.id}`);
    return ['succeeded', 'failed'].includes(body.status) ? body : undefined;
  });
  if (finished.status === 'failed')
    throw new Error(`sample data: the import failed: ${finished.failureReason}`);
  const openMatches = await until('the demo roster screening', async () => {
    const { body } = await api<{ items: unknown[]; screening: { status: string } }>(
      'GET',
      `${orgPath}/exclusion-matches?status=open`,
    );
    return body.screening.status === 'screened' && body.items.length > 0 ? body.items.length : undefined;
  });
  const { total, rejected } = finished.counts;
  log(
    `SAMPLE DATA: organization "${SAMPLE_ORGANIZATION.name}" ${organizationId}: ${total} roster rows, ${rejected} rejected, ${openMatches} open matches`,
  );
  return { organizationId, openMatches };
}

/** The dev banner's lines about sample data: what was loaded, or how to get it. */
export function sampleBannerLines(seed: SampleSeed | null): string {
  if (!seed) {
    return `    Sample data  none: \`npm run dev -- --sample-data\` starts with a generated LEIE and a demo
                 organization whose screening shows real matches, offline (README.md, Quickstart)`;
  }
  return `    SAMPLE DATA  a generated LEIE (not the HHS-OIG list) and the demo organization
                 "${SAMPLE_ORGANIZATION.name}" ${seed.organizationId}: ${seed.openMatches} open matches
    Next         the Quickstart of README.md: curl, from login to the first match`;
}
