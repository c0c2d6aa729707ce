import { type Readable, Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl, { type Entry } from 'yauzl';
import { ExclusionSourceFailureType, ExclusionSourceFormatError, looksLikeMarkup } from './failures';

/**
 * The one CSV inside a list's ZIP (the SAM extract, docs/spec.md §8), inflated as a stream with its
 * size capped. yauzl reads the central directory (a ZIP's table of contents is at its end, so a
 * forward-only reader of local headers can be fooled by entries the directory does not list, and
 * cannot know sizes written after the data); it is maintained, handles ZIP64, and reads a Buffer
 * without touching the disk. The download is held in memory anyway to hash and archive it, and a
 * list's ZIP is a few MB.
 *
 * The header's sizes are not trusted: the declared size must be under the cap, and the bytes are
 * counted as they come out of the inflater, so an entry that inflates past what it declares stops
 * there — a ZIP bomb never fills memory or disk. The CRC is checked too (yauzl leaves that to us).
 */

/** Far above any list's CSV (the SAM extract's is well under 100 MB): anything bigger is refused. */
export const MAX_CSV_UNCOMPRESSED_BYTES = 512 * 1024 * 1024;

/** ZIP compression method 8; yauzl refuses any other but 0 (stored) through canDecodeFileData. */
const DEFLATED = 8;
const INFLATE_CHUNK_BYTES = 256 * 1024;

export interface ZippedCsv {
  /** The CSV's file name inside the ZIP. */
  name: string;
  /** Its uncompressed size as the ZIP states it (checked while inflating). */
  bytes: number;
  stream: Readable;
}

export interface ZippedCsvOptions {
  /** The list's name, first in every error message. */
  label: string;
  maxUncompressedBytes?: number;
}

const fail = (type: keyof typeof ExclusionSourceFailureType, label: string, message: string) =>
  new ExclusionSourceFormatError(ExclusionSourceFailureType[type], `${label}: ${message}`);

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/** A CSV a person put in the archive: not a directory, not macOS resource-fork or hidden files. */
function isCsv(entry: Entry): boolean {
  const name = entry.fileName;
  const base = name.slice(name.lastIndexOf('/') + 1);
  return (
    !name.endsWith('/') && !name.startsWith('__MACOSX/') && !base.startsWith('.') && /\.csv$/i.test(base)
  );
}

function notZip(zip: Buffer, label: string): ExclusionSourceFormatError | null {
  const signature = zip.length >= 4 ? zip.readUInt32LE(0) : 0;
  // A local file header, or the end-of-directory record of an empty archive.
  if (signature === 0x04034b50 || signature === 0x06054b50) return null;
  if (zip.length === 0) return fail('notZip', label, 'the download is empty, not a ZIP');
  if (looksLikeMarkup(zip.subarray(0, 1024).toString('latin1'))) {
    return fail(
      'notZip',
      label,
      'the download is an HTML/XML page where a ZIP is expected (an error or login page?)',
    );
  }
  return fail('notZip', label, 'the download is not a ZIP archive');
}

/** Opens the ZIP and finds its one CSV. Throws `ExclusionSourceFormatError` for anything else. */
export async function openZippedCsv(zip: Buffer, options: ZippedCsvOptions): Promise<ZippedCsv> {
  const { label } = options;
  const cap = options.maxUncompressedBytes ?? MAX_CSV_UNCOMPRESSED_BYTES;
  const refused = notZip(zip, label);
  if (refused) throw refused;

  const csvs: Entry[] = [];
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, validateEntrySizes: false });
    for await (const entry of zipfile.eachEntry()) if (isCsv(entry)) csvs.push(entry);
  } catch (error) {
    throw fail('corruptZip', label, `the ZIP is corrupt (${(error as Error).message})`);
  }
  if (csvs.length === 0) throw fail('noCsvInZip', label, 'the ZIP holds no CSV file');
  if (csvs.length > 1) {
    throw fail(
      'manyCsvInZip',
      label,
      `the ZIP holds ${csvs.length} CSV files (${csvs.map((e) => e.fileName).join(', ')}), not one`,
    );
  }
  const entry = csvs[0] as Entry;
  if (entry.uncompressedSize > cap) {
    throw fail(
      'tooLarge',
      label,
      `${entry.fileName} would inflate to ${mib(entry.uncompressedSize)}, more than the cap of ${mib(cap)} (a ZIP bomb?)`,
    );
  }
  if (!entry.canDecodeFileData()) {
    throw fail(
      'corruptZip',
      label,
      `${entry.fileName} is encrypted or uses an unsupported compression method`,
    );
  }
  const deflated = entry.compressionMethod === DEFLATED;
  let stored: Readable;
  try {
    stored = await zipfile.openReadStreamPromise(entry, deflated ? { decompress: false } : {});
  } catch (error) {
    throw fail('corruptZip', label, `the ZIP is corrupt (${(error as Error).message})`);
  }
  // Inflated here rather than by yauzl, in big pieces: zlib's default 16 KiB output chunks cost the
  // reading of a list several times the inflating itself.
  const raw = deflated ? stored.pipe(createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES })) : stored;
  const checked = checkedInflation(entry, label);
  const failed = (error: Error) =>
    checked.destroy(
      error instanceof ExclusionSourceFormatError
        ? error
        : fail('corruptZip', label, `${entry.fileName} cannot be inflated (${error.message})`),
    );
  stored.on('error', failed);
  raw.on('error', failed);
  checked.on('close', () => {
    stored.destroy();
    raw.destroy();
    zipfile.close();
  });
  raw.pipe(checked);
  return { name: entry.fileName, bytes: entry.uncompressedSize, stream: checked };
}

/** Passes the inflated bytes on, failing as soon as they exceed the declared size, and checks the CRC. */
function checkedInflation(entry: Entry, label: string): Transform {
  const declared = entry.uncompressedSize;
  let bytes = 0;
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > declared) {
        callback(
          fail(
            'tooLarge',
            label,
            `${entry.fileName} inflates to more than the ${declared} bytes its ZIP header states (a ZIP bomb or a corrupt file)`,
          ),
        );
        return;
      }
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback) {
      if (bytes !== declared) {
        callback(
          fail(
            'corruptZip',
            label,
            `${entry.fileName} inflates to ${bytes} bytes, its ZIP header states ${declared}`,
          ),
        );
      } else if (crc >>> 0 !== entry.crc32 >>> 0) {
        callback(fail('corruptZip', label, `${entry.fileName} fails its CRC check: the ZIP is corrupt`));
      } else callback();
    },
  });
}
