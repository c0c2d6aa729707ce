import { RosterFileError } from './roster-file';
import type { Cell } from './roster-row';

/**
 * The texts of an XLSX's shared-strings part (`xl/sharedStrings.xml`), read as its XML streams in.
 * Each `<si>` is one text: its `<t>` texts joined (a roster wants rich-text runs as one text; the
 * phonetic guides of `<rPh>` are not part of it), entities decoded; an empty one is null. They are
 * held for the whole read, so each is a plain string of its own and their number is capped.
 */
export class SharedStrings {
  readonly texts: Cell[] = [];
  private carry = '';

  constructor(private readonly limits: { count: number; itemLength: number }) {}

  write(xml: string): void {
    const text = this.carry + xml;
    let from = 0;
    for (;;) {
      ITEM_START.lastIndex = from;
      const start = ITEM_START.exec(text);
      if (!start) {
        // Keep what may be the beginning of the next item's tag.
        const lt = text.lastIndexOf('<');
        this.carry = lt >= from ? text.slice(lt) : '';
        return;
      }
      let end: number;
      if (start[1] === '/') end = ITEM_START.lastIndex;
      else {
        ITEM_END.lastIndex = ITEM_START.lastIndex;
        if (!ITEM_END.exec(text)) {
          this.carry = text.slice(start.index);
          // Each chunk searches the carried item again: an item is bounded, so that search is too.
          if (this.carry.length > this.limits.itemLength)
            throw this.tooLarge(
              `one text of more than ${this.limits.itemLength.toLocaleString('en-US')} characters of XML`,
            );
          return;
        }
        end = ITEM_END.lastIndex;
      }
      this.add(text.slice(start.index, end));
      from = end;
    }
  }

  private add(item: string) {
    if (this.texts.length === this.limits.count) {
      throw this.tooLarge(`more than ${this.limits.count.toLocaleString('en-US')} different texts`);
    }
    const body = item.includes('rPh') ? item.replace(PHONETIC, '') : item;
    let joined = '';
    for (const match of body.matchAll(TEXT)) joined += match[1] ?? '';
    // A slice keeps the whole chunk it came from alive: hold a copy instead.
    this.texts.push(joined === '' ? null : ` ${decodeEntities(joined)}`.slice(1));
  }

  private tooLarge(what: string) {
    return new RosterFileError(
      'XlsxTooLarge',
      `The XLSX holds ${what} (a zip bomb?); the import was stopped. Split the roster or save it as CSV.`,
    );
  }
}

// Element names may carry a namespace prefix (`<x:si>`); `<si/>` is an empty item.
const ITEM_START = /<(?:[\w.-]+:)?si(?=[\s/>])[^>]*?(\/?)>/g;
const ITEM_END = /<\/(?:[\w.-]+:)?si\s*>/g;
const PHONETIC = /<((?:[\w.-]+:)?rPh)\b[\s\S]*?<\/\1\s*>/g;
const TEXT = /<(?:[\w.-]+:)?t(?:\s[^>]*)?>([^<]*)<\/(?:[\w.-]+:)?t\s*>/g;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex?: string, decimal?: string, name?: string) => {
    if (name) return NAMED[name] ?? whole;
    const code = hex ? Number.parseInt(hex, 16) : Number(decimal);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
