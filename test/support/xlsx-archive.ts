import { constants, crc32, deflateRawSync } from 'node:zlib';

/** Deflated bytes with the size and CRC of what they inflate to. */
export interface Deflated {
  bytes: Buffer;
  size: number;
  crc: number;
}

/** One part of an archive: its bytes (deflated here) or deflated ones; `declaredSize` is what the headers claim. */
export interface ZipPart {
  name: string;
  data?: Buffer;
  deflated?: Deflated;
  declaredSize?: number;
}

export function deflated(data: Buffer): Deflated {
  return { bytes: deflateRawSync(data, { level: 9 }), size: data.length, crc: crc32(data) };
}

/**
 * `head`, then `unit` `count` times, then `tail`, deflated without ever holding the inflated bytes:
 * about a MiB of units is deflated once (flushed, so it stands alone) and its blocks repeated.
 */
export function repeated(head: string, unit: string, count: number, tail: string): Deflated {
  const perBlock = Math.max(1, Math.floor(1024 ** 2 / unit.length));
  const block = Buffer.from(unit.repeat(perBlock));
  const rest = Buffer.from(unit.repeat(count % perBlock));
  const segment = (data: Buffer) => deflateRawSync(data, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const blockBytes = segment(block);
  const pieces = [segment(Buffer.from(head))];
  let crc = crc32(head);
  for (let i = 0; i < Math.floor(count / perBlock); i++) {
    pieces.push(blockBytes);
    crc = crc32(block, crc);
  }
  pieces.push(segment(rest), deflateRawSync(Buffer.from(tail), { level: 9 }));
  crc = crc32(tail, crc32(rest, crc));
  const size = Buffer.byteLength(head) + block.length * Math.floor(count / perBlock) + rest.length;
  return { bytes: Buffer.concat(pieces), size: size + Buffer.byteLength(tail), crc };
}

/** A minimal zip of deflated parts, with the sizes each part's headers claim. */
export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const { bytes, size, crc } = part.deflated ?? deflated(part.data ?? Buffer.alloc(0));
    const declared = part.declaredSize ?? size;
    const nameBytes = Buffer.from(part.name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(bytes.length, 18);
    header.writeUInt32LE(declared, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(bytes.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, bytes);
    centrals.push(central, nameBytes);
    offset += header.length + nameBytes.length + bytes.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** The parts around a first worksheet: content types, the workbook and its relationships. */
function workbookParts(): ZipPart[] {
  return [
    {
      name: '[Content_Types].xml',
      data: Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
      ),
    },
    {
      name: 'xl/workbook.xml',
      data: Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      ),
    },
  ];
}

const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

/**
 * A worksheet of inline strings (no sharedStrings.xml part, as some exporters write it); `columns`
 * is XML written before the sheet data (`<cols>…</cols>`).
 */
export function inlineStringsWorkbook(rows: string[][], columns = ''): Buffer {
  const xml = rows
    .map(
      (cells, r) =>
        `<row r="${r + 1}">${cells.map((text, c) => inline(`${String.fromCharCode(65 + c)}${r + 1}`, text)).join('')}</row>`,
    )
    .join('');
  return zipOf([
    ...workbookParts(),
    {
      name: 'xl/worksheets/sheet1.xml',
      data: Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}">${columns}<sheetData>${xml}</sheetData></worksheet>`,
      ),
    },
  ]);
}

/**
 * A shared-strings bomb: `count` rich-text strings (each a few objects once parsed) deflated to about
 * a four-hundredth, the headers claiming 1 KB: by default a 613 KB workbook.
 */
export function sharedStringsBomb(count = 10_500_000): Buffer {
  return zipOf([
    ...workbookParts(),
    {
      name: 'xl/sharedStrings.xml',
      deflated: repeated(
        `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">`,
        '<si><r><t>x</t></r></si>',
        count,
        '</sst>',
      ),
      declaredSize: 1000,
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      data: Buffer.from(
        `<worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`,
      ),
    },
  ]);
}

/**
 * A worksheet bomb: a header, one row, then `bytes` of empty rows (no sharedStrings.xml part, so the
 * worksheet is what a reader must keep aside), the headers claiming 1 KB.
 */
export function worksheetBomb(bytes = 1.1 * 1024 ** 3): Buffer {
  const header = ['Employee ID', 'First Name', 'Last Name'];
  const row = (r: number, cells: string[]) =>
    `<row r="${r}">${cells.map((text, c) => inline(`${String.fromCharCode(65 + c)}${r}`, text)).join('')}</row>`;
  return zipOf([
    ...workbookParts(),
    {
      name: 'xl/worksheets/sheet1.xml',
      deflated: repeated(
        `<worksheet xmlns="${MAIN}"><sheetData>${row(1, header)}${row(2, ['E1', 'Ann', 'Lee'])}`,
        '<row/>',
        Math.ceil(bytes / 6),
        '</sheetData></worksheet>',
      ),
      declaredSize: 1000,
    },
  ]);
}
