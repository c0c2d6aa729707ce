/**
 * Why a list's download can never be imported as it is (docs/spec.md §8): no retry helps, so the
 * sync activity fails with `ApplicationFailure.nonRetryable(message, type)` and the previous list
 * stays in force. A row the adapter cannot read is not among these: it is rejected and counted.
 */
export const ExclusionSourceFailureType = {
  empty: 'ExclusionSourceEmptyFile',
  /** An HTML page (or a ZIP) where the CSV is expected. */
  notCsv: 'ExclusionSourceNotCsv',
  missingColumn: 'ExclusionSourceMissingColumn',
  malformedCsv: 'ExclusionSourceMalformedCsv',
  /** An HTML page or anything else where a ZIP is expected. */
  notZip: 'ExclusionSourceNotZip',
  corruptZip: 'ExclusionSourceCorruptZip',
  noCsvInZip: 'ExclusionSourceNoCsvInZip',
  manyCsvInZip: 'ExclusionSourceManyCsvInZip',
  /** The CSV inflates past the stated cap (a ZIP bomb). */
  tooLarge: 'ExclusionSourceTooLarge',
  /** Raised by the sync: fewer rows than MIN_ROW_RATIO of the current list (domain/leie.ts). */
  tooFewRows: 'ExclusionSourceTooFewRows',
} as const;

export type ExclusionSourceFailure =
  (typeof ExclusionSourceFailureType)[keyof typeof ExclusionSourceFailureType];

/** Every failure type, for `nonRetryableErrorTypes`. */
export const EXCLUSION_SOURCE_FAILURE_TYPES: readonly ExclusionSourceFailure[] =
  Object.values(ExclusionSourceFailureType);

export class ExclusionSourceFormatError extends Error {
  constructor(
    readonly type: ExclusionSourceFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ExclusionSourceFormatError';
  }
}

/** An HTML/XML page: what a site serves with status 200 for a login wall, a captcha or an error. */
export function looksLikeMarkup(firstText: string): boolean {
  const start = firstText.replace(/^\uFEFF/, '').trimStart();
  return /^<(!doctype|html|head|body|\?xml|[a-z]+[\s>/])/i.test(start);
}
