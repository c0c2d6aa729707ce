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
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { caMediCalCsv, type ListedPerson, paMedicheckCsv, samExtractZip } from '../generate-exclusion-source';
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

/**
 * The other lists of docs/spec.md §8, generated: each holds one person of the demo roster who is
 * also on the sample LEIE, so every list syncs and matches (S-001 on SAM by NPI, S-002 on the PA
 * list, S-003 on the CA list by name) while the clear people stay clear.
 */
export const SAMPLE_LISTED: Record<SampleListId, ListedPerson> = {
  sam: { firstName: 'BRYN', lastName: 'HALVORSEN', npi: '1745120935' },
  pa_medicheck: { firstName: 'TEMITOPE', lastName: 'OYELARAN' },
  ca_medi_cal: { firstName: 'CORNELIUS', lastName: 'FAIRWEATHER' },
};
export type SampleListId = 'sam' | 'pa_medicheck' | 'ca_medi_cal';
const LIST_PATHS: Record<SampleListId, string> = {
  sam: '/sam/data-services/v1/extracts',
  pa_medicheck: '/pa/medicheck-precluded.csv',
  ca_medi_cal: '/ca/medi-cal-suspended-ineligible.csv',
};
const LIST_ROWS = 300;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The generated SAM extract (a ZIP), PA and CA files the sample site serves. */
export async function sampleListFiles(): Promise<Record<SampleListId, Buffer>> {
  const options = (id: SampleListId) => ({
    rows: LIST_ROWS,
    seed: GENERATED_SEED,
    include: [SAMPLE_LISTED[id]],
  });
  return {
    sam: await collect(samExtractZip(options('sam'))),
    pa_medicheck: await collect(paMedicheckCsv(options('pa_medicheck'))),
    ca_medi_cal: await collect(caMediCalCsv(options('ca_medi_cal'))),
  };
}

export interface SampleOigSite {
  pageUrl: string;
  csvUrl: string;
  /** The generated lists of the other sources, for SAM_EXTRACT_URL, PA_MEDICHECK_URL, CA_MEDI_CAL_URL. */
  listUrls: Record<SampleListId, string>;
  stop(): Promise<void>;
}

/** Serves the OIG page and the sample UPDATED.csv on 127.0.0.1 (`port` 0: any free port). */
export async function startSampleOigSite(port = 0): Promise<SampleOigSite> {
  const csv = Buffer.from(sampleLeieFile());
  const etag = `"${createHash('sha256').update(csv).digest('hex').slice(0, 32)}"`;
  const page = `<!DOCTYPE html><html><head><title>LEIE Downloadable Databases (SAMPLE DATA)</title></head>
<body><h1>LEIE Downloadable Databases — SAMPLE DATA, not the HHS-OIG list</h1>
<p>Last Update: ${SAMPLE_UPDATED_ON}</p><a href="${CSV_PATH}">UPDATED.csv</a></body></html>`;
  const lists = await sampleListFiles();
  const listOf = (url: string | undefined) =>
    (Object.keys(LIST_PATHS) as SampleListId[]).find((id) => LIST_PATHS[id] === url?.split('?')[0]);
  const server = http.createServer((request, response) => {
    const list = listOf(request.url);
    if (list) {
      const type = list === 'sam' ? 'application/zip' : 'text/csv';
      response
        .writeHead(200, { 'content-type': type, 'content-length': lists[list].length })
        .end(lists[list]);
    } else if (request.url === PAGE_PATH) {
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
    listUrls: {
      sam: `${base}${LIST_PATHS.sam}?fileType=EXCLUSION`,
      pa_medicheck: `${base}${LIST_PATHS.pa_medicheck}`,
      ca_medi_cal: `${base}${LIST_PATHS.ca_medi_cal}`,
    },
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
interface SourceBody {
  id: string;
  name: string;
  enabled: boolean;
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

  // The other lists the API has configured (sample mode points them at the sample site).
  const sources = await api<{ items: SourceBody[] }>('GET', '/v1/exclusion-sources');
  for (const source of sources.body.items) {
    if (source.id === 'leie' || !source.enabled || source.state === 'not_configured') continue;
    const since = new Date().toISOString();
    await api('POST', `/v1/exclusion-sources/${source.id}/sync`, { json: { force: false } });
    const synced = await until(`the sample ${source.id} sync`, async () => {
      const { body } = await api<SourceBody>('GET', `/v1/exclusion-sources/${source.id}`);
      return body.lastCheck && body.lastCheck.checkedAt >= since ? body : undefined;
    });
    if (synced.lastCheck?.status === 'failed') {
      throw new Error(`sample data: the ${source.id} sync failed: ${synced.lastCheck.error}`);
    }
    log(`SAMPLE DATA: ${source.name} sample loaded (${synced.rowCount} records, state ${synced.state})`);
  }

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
