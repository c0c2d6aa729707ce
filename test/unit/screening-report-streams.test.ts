import assert from 'node:assert/strict';
import { extractText, getDocumentProxy } from 'unpdf';
import {
  type ReportHeader,
  type ReportPerson,
  screeningReportCsv,
  screeningReportJson,
} from '../../services/screening-report';
import { screeningReportPdf } from '../../services/screening-report-pdf';

const HEADER: ReportHeader = {
  organization: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'Zoë Care', subdomain: 'zoe' },
  period: { from: '2026-11-01', to: '2026-11-30' },
  sources: [{ id: 'leie', name: 'LEIE', versions: [] }],
  runs: [],
  totals: { people: 2, runs: 0, clear: 1, possible_match: 0, confirmed: 0, dismissed: 0, not_screened: 1 },
};

async function* pages(people: ReportPerson[]) {
  yield people;
}

async function text(stream: ReadableStream<Uint8Array>) {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  assert.equal(Buffer.from(bytes.subarray(0, 5)).toString(), '%PDF-');
  const { text } = await extractText(await getDocumentProxy(bytes), { mergePages: true });
  return text;
}

describe('the screening report streams (services/screening-report.ts, screening-report-pdf.ts)', () => {
  it('writes names outside Latin-1, control characters and empty ids without failing the download', async () => {
    const content = await text(
      screeningReportPdf(
        HEADER,
        pages([
          {
            kind: 'employee',
            externalId: 'E\u00001',
            name: 'Łukasz 李小龙 😀 \u202eevil',
            lastScreenedAt: null,
            result: 'not_screened',
          },
          {
            kind: 'caregiver',
            externalId: null,
            name: 'Renée Brückner',
            lastScreenedAt: '2026-11-02T08:00:00.000Z',
            result: 'clear',
          },
        ]),
      ),
    );
    for (const expected of [
      'Zoë Care',
      'Renée Brückner',
      '2026-11-02',
      'not screened',
      'No version of this list was loaded',
    ]) {
      assert.ok(content.includes(expected), expected);
    }
  });

  for (const [format, render] of [
    ['PDF', (people: AsyncGenerator<ReportPerson[]>) => screeningReportPdf(HEADER, people)],
    ['JSON', (people: AsyncGenerator<ReportPerson[]>) => screeningReportJson(HEADER, people)],
    ['CSV', (people: AsyncGenerator<ReportPerson[]>) => screeningReportCsv(people)],
  ] as const) {
    it(`${format}: stops reading people when the client goes away, and nothing throws after`, async () => {
      let pagesRead = 0;
      async function* endless(): AsyncGenerator<ReportPerson[]> {
        for (;;) {
          pagesRead += 1;
          await new Promise((resolve) => setImmediate(resolve));
          yield Array.from({ length: 100 }, (_, i) => ({
            kind: 'employee' as const,
            externalId: `E${pagesRead}-${i}`,
            name: 'Someone',
            lastScreenedAt: null,
            result: 'clear' as const,
          }));
        }
      }
      const reader = (render(endless()) as ReadableStream<unknown>).getReader();
      await reader.read();
      await reader.read();
      await reader.cancel();
      const after = pagesRead;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(pagesRead <= after + 1, 'no page is read after the cancel');
      assert.ok(after < 50, `read ${after} pages ahead of a client that took two chunks`);
    });
  }
});
