import { createHash } from 'node:crypto';

/** Logo rules of docs/spec.md §4.1: content sniffing and sharp normalization. CPU only, no I/O. */

export const LOGO_MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
export const LOGO_MAX_DIMENSION = 512;
/**
 * Pixels we agree to decode (about 5000×5000). Checked on the header before any decoding, so a
 * tiny file claiming huge dimensions (a decompression bomb) is refused without being inflated.
 */
export const LOGO_MAX_INPUT_PIXELS = 25_000_000;
export const LOGO_CONTENT_TYPE = 'image/png';
export const LOGO_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export type LogoFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'svg';

/** Why an upload was refused; `status` is the HTTP answer, `code` a stable machine-readable reason. */
export class LogoRejectedError extends Error {
  constructor(
    readonly code: 'empty' | 'not-an-image' | 'svg-declarations' | 'too-many-pixels' | 'corrupt',
    readonly status: 415 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'LogoRejectedError';
  }
}

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) =>
  signature.every((byte, index) => bytes[offset + index] === byte);

/** The image format by its leading bytes, whatever the client declared; null when not one we accept. */
export function sniffLogoFormat(bytes: Uint8Array): LogoFormat | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    return 'webp';
  }
  // SVG is text: an optional BOM, XML declaration, comments or doctype (with or without an internal
  // subset), then an <svg> root.
  const prolog =
    /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(\[[\s\S]*?\]\s*)?>\s*)*<svg[\s>]/i;
  if (prolog.test(textHead(bytes))) return 'svg';
  return null;
}

/** The start of an upload read as text, without its byte-order mark: where an SVG shows what it is. */
const textHead = (bytes: Uint8Array) =>
  Buffer.from(bytes.subarray(0, 4096))
    .toString('utf8')
    .replace(/^\uFEFF/, '');

export interface LogoInfo {
  format: LogoFormat;
  width: number;
  height: number;
}

/**
 * Validates an upload by its content: a supported format, dimensions read from the header within
 * LOGO_MAX_INPUT_PIXELS (before decoding), and a full decode that proves the file is not truncated.
 */
export async function inspectLogo(bytes: Uint8Array): Promise<LogoInfo> {
  if (bytes.length === 0) throw new LogoRejectedError('empty', 422, 'The logo body is empty.');
  const format = sniffLogoFormat(bytes);
  if (format === 'svg' && /<!DOCTYPE[^>[]*\[/i.test(textHead(bytes))) {
    // Entities are how an SVG reads files or expands a billion times (XXE): never parsed.
    throw new LogoRejectedError(
      'svg-declarations',
      422,
      'The SVG declares a DTD subset (<!DOCTYPE … [ … ]>, entities), which is refused; remove it and upload again.',
    );
  }
  if (!format) {
    throw new LogoRejectedError(
      'not-an-image',
      415,
      'The body is not a PNG, JPEG, GIF, WebP or SVG image (checked by content, not by Content-Type).',
    );
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    // metadata() reads the header only; nothing is decompressed yet.
    const sharp = await loadSharp();
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch {
    throw new LogoRejectedError('corrupt', 422, `The ${format.toUpperCase()} image cannot be read.`);
  }
  if (!width || !height) {
    throw new LogoRejectedError('corrupt', 422, `The ${format.toUpperCase()} image has no dimensions.`);
  }
  if (width * height > LOGO_MAX_INPUT_PIXELS) {
    throw new LogoRejectedError(
      'too-many-pixels',
      422,
      `The image is ${width}×${height} pixels; at most ${LOGO_MAX_INPUT_PIXELS} pixels are accepted.`,
    );
  }
  try {
    await (await decoder(bytes)).stats();
  } catch {
    throw new LogoRejectedError(
      'corrupt',
      422,
      `The ${format.toUpperCase()} image is truncated or corrupt and cannot be decoded.`,
    );
  }
  return { format, width, height };
}

/** sharp (libvips, a large native library) loads with the first logo, not in every process importing this. */
const loadSharp = async () => (await import('sharp')).default;

async function decoder(bytes: Uint8Array) {
  const sharp = await loadSharp();
  // failOn 'truncated' refuses partial images; the pixel limit guards the decode a second time.
  return sharp(bytes, { limitInputPixels: LOGO_MAX_INPUT_PIXELS, failOn: 'truncated', animated: false });
}

export interface NormalizedLogo {
  bytes: Buffer;
  width: number;
  height: number;
  sha256: string;
}

/**
 * The stored form of a logo: PNG (keeps transparency; an SVG is rasterized), at most
 * LOGO_MAX_DIMENSION on each side, EXIF orientation applied and every metadata block dropped.
 */
export async function normalizeLogo(bytes: Uint8Array): Promise<NormalizedLogo> {
  await inspectLogo(bytes);
  const { data, info } = await (await decoder(bytes))
    .rotate()
    .resize({
      width: LOGO_MAX_DIMENSION,
      height: LOGO_MAX_DIMENSION,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .png({ compressionLevel: 9 })
    .toBuffer({ resolveWithObject: true });
  return {
    bytes: data,
    width: info.width,
    height: info.height,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}
