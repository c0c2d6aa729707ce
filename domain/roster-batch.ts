import type { ExternalIdSet } from './external-id-set';
import type { RowError, RowResult } from './roster-row';

/**
 * A batch of roster rows as it is read, and which of its rows are written. A repeated external id
 * is told as the file is read (first occurrence wins; the ids of committed batches are kept with
 * them, to resume and for the replace step); a repeated e-mail only once Postgres has claimed the
 * batch's e-mail keys (db/roster-import-store.ts), because Postgres lower-cases them.
 */

export const duplicateError = (column: 'external_id' | 'email', value: string): RowError => ({
  column,
  code: 'duplicate_in_file',
  message: `An earlier row of this file has the same ${column}; the first one wins.`,
  value,
});

/**
 * One batch as it is read, kept column by column (what Postgres gets): the per-row objects of parsing
 * and validation die young instead of living until the batch commits.
 */
export class BatchRows {
  readonly rowNumbers: number[] = [];
  /** The external ids whose first row in the file is in this batch (rejected rows' included). */
  readonly externalIds: string[] = [];
  /** Rows keyed by e-mail (no external id): row number and e-mail, claimed in Postgres. */
  readonly emailRows: number[] = [];
  readonly emails: string[] = [];
  /** The errors of rejected rows (invalid, or a repeated external id), by row number. */
  readonly rejected = new Map<number, RowError[]>();
  /** Per column of `columnNames`, one value per row (null for rejected rows). */
  readonly columns: (string | null)[][];

  constructor(
    private readonly columnNames: readonly string[],
    private readonly fileIds: ExternalIdSet,
  ) {
    this.columns = columnNames.map(() => []);
  }

  get length() {
    return this.rowNumbers.length;
  }

  add(rowNumber: number, result: RowResult) {
    this.rowNumbers.push(rowNumber);
    let errors = result.ok ? null : result.errors;
    const externalId = result.record.external_id ?? null;
    if (externalId !== null) {
      if (this.fileIds.add(externalId)) this.externalIds.push(externalId);
      else errors ??= [duplicateError('external_id', externalId)];
    } else if (result.key !== null) {
      this.emailRows.push(rowNumber);
      this.emails.push(result.record.email as string);
    }
    if (errors) this.rejected.set(rowNumber, errors);
    const columns = this.columnNames;
    for (let i = 0; i < columns.length; i++) {
      this.columns[i]?.push(errors ? null : (result.record[columns[i] as string] ?? null));
    }
  }
}

/** Rejected rows' errors, one array per column of roster_import_errors. */
export interface BatchErrors {
  rowNumbers: number[];
  columns: (string | null)[];
  codes: string[];
  messages: string[];
  values: (string | null)[];
}

/**
 * Which rows of the batch are written, once its e-mail keys are claimed: not the rejected rows,
 * nor the rows whose e-mail an earlier row claimed (`lostEmails`, by row number).
 */
export function settleBatch(batch: BatchRows, lostEmails: ReadonlySet<number>) {
  const errors: BatchErrors = { rowNumbers: [], columns: [], codes: [], messages: [], values: [] };
  let rejected = 0;
  const reject = (rowNumber: number, rowErrors: RowError[]) => {
    rejected++;
    for (const e of rowErrors) {
      errors.rowNumbers.push(rowNumber);
      errors.columns.push(e.column);
      errors.codes.push(e.code);
      errors.messages.push(e.message);
      errors.values.push(e.value);
    }
  };
  const emailOf = new Map(batch.emailRows.map((rowNumber, i) => [rowNumber, batch.emails[i] as string]));
  const accepted = batch.rowNumbers.map((rowNumber) => {
    const rowErrors = batch.rejected.get(rowNumber);
    if (rowErrors) {
      reject(rowNumber, rowErrors);
      return false;
    }
    if (lostEmails.has(rowNumber)) {
      reject(rowNumber, [duplicateError('email', (emailOf.get(rowNumber) as string).toLowerCase())]);
      return false;
    }
    return true;
  });
  return { accepted, errors, rejected };
}
