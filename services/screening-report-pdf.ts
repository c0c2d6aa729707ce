import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { ReportHeader, ReportPerson } from './screening-report';

/**
 * The screening report as a PDF certificate (docs/spec.md §10), written with pdfkit: the
 * organization, the period, each source with the list versions in force, the runs, one line per
 * person and the totals. Pages of people are written only when the client has taken what came
 * before (the stream's pull), and pdfkit hands each finished page on, so the document is never
 * whole in memory.
 */

// The PDF standard fonts (Helvetica) cover Latin-1 only, and a certificate must show each name as
// the roster spells it (Nguyễn, Łukasz, Дом): text beyond Latin-1 is written in DejaVu Sans (the
// dejavu-fonts-ttf package, Bitstream Vera licence), of which pdfkit embeds only the glyphs used.
// Latin-1 text keeps the standard font: an embedded font keeps the layout of every distinct word
// for the document's life, and most names need none of it.
const fontFile = (name: string) => createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${name}`);
const UNICODE_FONTS = { regular: fontFile('DejaVuSans.ttf'), bold: fontFile('DejaVuSans-Bold.ttf') };
const BEYOND_LATIN_1 = /[\u{100}-\u{10ffff}]/u;

/** The font that writes `text`: Helvetica when it is Latin-1, DejaVu Sans otherwise. */
function fontFor(text: string, weight: 'regular' | 'bold' = 'regular'): string {
  if (BEYOND_LATIN_1.test(text)) return UNICODE_FONTS[weight];
  return weight === 'bold' ? 'Helvetica-Bold' : 'Helvetica';
}

const MARGIN = 50;
const ROW_HEIGHT = 13;
// Column x offsets of the people table (A4 is 595 points wide).
const PEOPLE_COLUMNS = [
  { title: 'Kind', x: MARGIN, width: 55 },
  { title: 'External id', x: MARGIN + 60, width: 80 },
  { title: 'Name', x: MARGIN + 145, width: 170 },
  { title: 'Last screened', x: MARGIN + 320, width: 100 },
  { title: 'Result', x: MARGIN + 425, width: 70 },
] as const;

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'never');
const RESULT_LABELS: Record<ReportPerson['result'], string> = {
  clear: 'clear',
  possible_match: 'possible match',
  confirmed: 'confirmed',
  dismissed: 'dismissed',
  not_screened: 'not screened',
};

function writeHeader(doc: PDFKit.PDFDocument, header: ReportHeader) {
  const { organization, period, sources, runs, totals } = header;
  doc.font('Helvetica-Bold').fontSize(16).text('Exclusion screening certificate');
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  const named = `Organization: ${organization.name} (${organization.subdomain})`;
  doc.font(fontFor(named)).text(named).font('Helvetica');
  doc.text(`Organization id: ${organization.id}`);
  doc.text(`Period: ${period.from} to ${period.to} (UTC, inclusive)`);
  doc.text(`People: ${totals.people}   Runs: ${totals.runs}`);

  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('Exclusion lists in force');
  doc.font('Helvetica').fontSize(9);
  for (const source of sources) {
    const title = `${source.name} [${source.id}]`;
    doc.moveDown(0.3).font(fontFor(title, 'bold')).text(title).font('Helvetica');
    if (source.versions.length === 0) doc.text('No version of this list was loaded in the period.');
    for (const version of source.versions) {
      doc.text(
        `Updated on ${version.sourceUpdatedOn ?? 'unknown'}, ${version.rowCount ?? '?'} rows, check ${version.checkId}`,
      );
      doc.text(`sha256 ${version.sha256 ?? 'unknown'}`, { indent: 12 });
    }
  }

  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('Screening runs');
  doc.font('Helvetica').fontSize(9);
  if (runs.length === 0) doc.text('No screening run started in the period.');
  for (const run of runs) {
    doc.text(
      `${run.startedAt}  ${run.trigger}${run.scope === 'all' ? ' (all organizations)' : ''}  ${run.status}  screened ${run.peopleScreened ?? '-'}  opened ${run.matchesOpened ?? '-'}  resolved ${run.matchesResolved ?? '-'}`,
    );
  }

  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('People active in the period');
  writeTableHead(doc);
}

function writeTableHead(doc: PDFKit.PDFDocument) {
  doc.font('Helvetica-Bold').fontSize(9);
  const y = doc.y + 4;
  for (const column of PEOPLE_COLUMNS)
    doc.text(column.title, column.x, y, { width: column.width, lineBreak: false });
  doc.font('Helvetica');
  doc.x = MARGIN;
  doc.y = y + ROW_HEIGHT;
}

function writePeople(doc: PDFKit.PDFDocument, people: ReportPerson[]) {
  for (const person of people) {
    if (doc.y + ROW_HEIGHT > doc.page.height - MARGIN) {
      doc.addPage();
      writeTableHead(doc);
    }
    const y = doc.y;
    const cells = [
      person.kind,
      person.externalId ?? '',
      person.name,
      day(person.lastScreenedAt),
      RESULT_LABELS[person.result],
    ];
    cells.forEach((cell, index) => {
      const column = PEOPLE_COLUMNS[index];
      if (column)
        doc
          .font(fontFor(cell))
          .text(cell, column.x, y, { width: column.width, lineBreak: false, ellipsis: true });
    });
    doc.x = MARGIN;
    doc.y = y + ROW_HEIGHT;
  }
}

function writeTotals(doc: PDFKit.PDFDocument, header: ReportHeader) {
  const { totals } = header;
  doc.x = MARGIN;
  doc.moveDown().font('Helvetica-Bold').fontSize(12).text('Totals');
  doc.font('Helvetica').fontSize(10);
  doc.text(`People: ${totals.people}`);
  for (const result of ['clear', 'possible_match', 'confirmed', 'dismissed', 'not_screened'] as const) {
    doc.text(`${RESULT_LABELS[result]}: ${totals[result]}`);
  }
  doc.text(`Screening runs: ${totals.runs}`);
  doc.moveDown().fontSize(8).text('This report holds no dates of birth.');
}

/** The PDF as a byte stream; people pages are read as the client takes the document. */
export function screeningReportPdf(
  header: ReportHeader,
  pages: AsyncGenerator<ReportPerson[]>,
): ReadableStream<Uint8Array> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `Exclusion screening certificate ${header.organization.name} ${header.period.from} to ${header.period.to}`,
      Author: 'ALE Backend',
    },
  });
  // Once the client has gone, pdfkit's last chunks (from doc.end()) have nowhere to go.
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        doc.on('data', (chunk: Buffer) => {
          if (!cancelled) controller.enqueue(new Uint8Array(chunk));
        });
        doc.on('end', () => {
          if (!cancelled) controller.close();
        });
        doc.on('error', (error) => {
          if (!cancelled) controller.error(error);
        });
        writeHeader(doc, header);
      },
      // Called while the client keeps up (the queue is below its mark): one page of people each time.
      async pull() {
        const page = await pages.next();
        if (cancelled) return;
        if (page.done) {
          writeTotals(doc, header);
          doc.end();
          return new Promise<void>((resolve) => doc.once('end', resolve));
        }
        writePeople(doc, page.value);
      },
      async cancel() {
        cancelled = true;
        await pages.return(undefined);
        doc.end();
      },
    },
    { highWaterMark: 256 * 1024, size: (chunk) => chunk.byteLength },
  );
}
