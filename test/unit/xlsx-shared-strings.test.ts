import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RosterFileError } from '../../domain/roster-file';
import { SharedStrings } from '../../domain/xlsx-shared-strings';

const LIMITS = { count: 1000, itemLength: 4096 };

function read(xml: string, chunks: number[] = [], limits = LIMITS) {
  const strings = new SharedStrings(limits);
  let at = 0;
  for (const size of chunks) {
    strings.write(xml.slice(at, at + size));
    at += size;
  }
  strings.write(xml.slice(at));
  return strings.texts;
}

const sst = (items: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="9">${items}</sst>`;
const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describe('the shared strings of an XLSX (SharedStrings)', () => {
  const cases: [string, string, (string | null)[]][] = [
    ['plain texts', '<si><t>Ann</t></si><si><t xml:space="preserve"> Lee </t></si>', ['Ann', ' Lee ']],
    [
      'rich-text runs, joined',
      '<si><r><rPr><b/><sz val="11"/></rPr><t>An</t></r><r><t xml:space="preserve">n </t></r></si>',
      ['Ann '],
    ],
    [
      'phonetic guides left out',
      '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>',
      ['漢字'],
    ],
    ['empty items are null', '<si/><si><t/></si><si><t></t></si><si></si>', [null, null, null, null]],
    [
      'entities decoded',
      '<si><t>&amp;&lt;&gt;&quot;&apos;&#233;&#x1F600;&bogus;</t></si>',
      ['&<>"\'é😀&bogus;'],
    ],
    ['a namespace prefix', '<x:si><x:t>A</x:t></x:si><x:si><x:r><x:t>B</x:t></x:r></x:si>', ['A', 'B']],
  ];
  for (const [name, items, expected] of cases) {
    it(name, () => assert.deepEqual(read(sst(items)), expected));
  }

  it('reads the same texts however the XML is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }),
        fc.boolean(),
        (texts, chunks, rich) => {
          const items = texts
            .map((text) =>
              rich && text.length > 1
                ? `<si><r><t>${xmlText(text.slice(0, 1))}</t></r><r><rPr><i/></rPr><t>${xmlText(text.slice(1))}</t></r></si>`
                : `<si><t xml:space="preserve">${xmlText(text)}</t></si>`,
            )
            .join('');
          assert.deepEqual(
            read(sst(items), chunks),
            texts.map((text) => (text === '' ? null : text)),
          );
        },
      ),
    );
  });

  it('refuses more texts than its limit, and one text longer than its limit', () => {
    const refused = (xml: string, message: RegExp) =>
      assert.throws(
        () => read(xml, Array(40).fill(32), { count: 3, itemLength: 100 }),
        (error: unknown) =>
          error instanceof RosterFileError && error.type === 'XlsxTooLarge' && message.test(error.message),
      );
    assert.deepEqual(read(sst('<si><t>a</t></si>'.repeat(3)), [], { count: 3, itemLength: 100 }), [
      'a',
      'a',
      'a',
    ]);
    refused(sst('<si><t>a</t></si>'.repeat(4)), /more than 3 different texts/);
    refused(sst(`<si>${'<r><t>a</t></r>'.repeat(20)}</si>`), /one text of more than 100 characters/);
  });
});
