/**
 * Cuts a list's UTF-8 CSV bytes into its records without parsing their fields, so that a record the
 * list already holds byte for byte can be recognised by its hash and skip the parser and the adapter
 * (read-list.ts). The cut follows csv-parse's rules as read-list.ts configures it: a record ends at a
 * line feed (a carriage return before it belongs to the line end) outside quotes; a quote opens a
 * quoted field only at the start of a field (elsewhere it is text: `relax_quotes`); inside quotes a
 * doubled quote is a quote. Anything outside those rules (a closing quote followed by text, a record
 * longer than the reader's cap) turns the splitter to pass-through: from there on the bytes go to the
 * parser as they came, which reports the problem or reads the rest as it always has.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/** Where a field stands after the bytes seen so far. */
enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: a doubled quote, or the field's end. */
  QuoteInQuoted,
}

export interface CsvRecordSink {
  /** A whole record with its line end, as in the file; empty lines after the first record are dropped. */
  record(bytes: Buffer): void;
  /** Bytes to hand to the parser as they are: empty lines before the first record, and pass-through. */
  passThrough(bytes: Buffer): void;
}

export class CsvRecordSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private state = State.FieldStart;
  private through = false;
  /** Bytes of a leading byte-order mark seen so far; 3 once the file's start is behind. */
  private bomAt = 0;
  private first = true;

  constructor(
    private readonly sink: CsvRecordSink,
    private readonly maxRecordBytes: number,
  ) {}

  /** True once the bytes left the rules above: everything since went to `passThrough`. */
  get passingThrough(): boolean {
    return this.through;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.through) {
      this.sink.passThrough(chunk);
      return;
    }
    let state = this.state;
    let start = 0;
    const length = chunk.length;
    let i = 0;
    // A byte-order mark is not the first field's text (csv-parse's `bom`): a quote after it opens.
    while (this.bomAt < BOM.length && i < length) {
      if (chunk[i] !== BOM[this.bomAt]) {
        if (this.bomAt > 0) state = State.Unquoted;
        this.bomAt = BOM.length;
        break;
      }
      this.bomAt++;
      i++;
    }
    for (; i < length; i++) {
      const byte = chunk[i] as number;
      if (state === State.Quoted) {
        if (byte === QUOTE) state = State.QuoteInQuoted;
        continue;
      }
      if (state === State.QuoteInQuoted) {
        if (byte === QUOTE) {
          state = State.Quoted;
          continue;
        }
        if (byte !== COMMA && byte !== LF && byte !== CR) {
          this.state = state;
          this.passAll(chunk, start);
          return;
        }
        state = State.Unquoted;
      }
      if (byte === COMMA) state = State.FieldStart;
      else if (byte === LF) {
        this.emit(chunk, start, i + 1);
        start = i + 1;
        state = State.FieldStart;
      } else if (byte === QUOTE && state === State.FieldStart) state = State.Quoted;
      else if (state === State.FieldStart) state = State.Unquoted;
    }
    this.state = state;
    if (start < length) {
      const rest = chunk.subarray(start);
      this.carry.push(rest);
      this.carryBytes += rest.length;
      if (this.carryBytes > this.maxRecordBytes) this.passAll(Buffer.alloc(0), 0);
    }
  }

  /** The last record may lack a line end. */
  end(): void {
    if (this.through || this.carryBytes === 0) return;
    this.emit(Buffer.alloc(0), 0, 0);
  }

  private emit(chunk: Buffer, from: number, to: number) {
    const bytes =
      this.carryBytes > 0
        ? Buffer.concat([...this.carry, chunk.subarray(from, to)])
        : chunk.subarray(from, to);
    this.carry = [];
    this.carryBytes = 0;
    const empty = isEmptyLine(this.first && startsWithBom(bytes) ? bytes.subarray(BOM.length) : bytes);
    if (!empty) {
      this.first = false;
      this.sink.record(bytes);
    } else if (this.first) {
      // Before the first record the parser must see it: whether a byte-order mark is at its input's
      // start decides how it reads the header.
      this.sink.passThrough(bytes);
    }
  }

  /** Leaves the rules: what is held and the rest of the chunk go to the parser as they are. */
  private passAll(chunk: Buffer, from: number) {
    this.through = true;
    const held = Buffer.concat([...this.carry, chunk.subarray(from)]);
    this.carry = [];
    this.carryBytes = 0;
    if (held.length > 0) this.sink.passThrough(held);
  }
}

const startsWithBom = (bytes: Buffer) => bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];

/** A line holding nothing but its line end: csv-parse's `skip_empty_lines` skips it. */
function isEmptyLine(bytes: Buffer): boolean {
  return (
    bytes.length === 0 ||
    (bytes.length === 1 && bytes[0] === LF) ||
    (bytes.length === 2 && bytes[0] === CR && bytes[1] === LF)
  );
}
