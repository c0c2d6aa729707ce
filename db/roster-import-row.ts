import type { RosterImportSummary, RosterKind } from '../lib/workflow-contracts';

type ImportStatus = RosterImportSummary['status'];

/** A `roster_imports` row as raw SQL (`SELECT *` / `RETURNING *`) returns it. */
export interface RosterImportRow {
  id: string;
  organization_id: string;
  kind: RosterKind;
  source_bucket: string;
  source_key: string;
  source_etag: string | null;
  format: 'csv' | 'xlsx';
  mode: 'replace' | 'merge';
  dry_run: boolean;
  force: boolean;
  status: ImportStatus;
  total_count: number;
  inserted_count: number;
  updated_count: number;
  unchanged_count: number;
  deactivated_count: number;
  rejected_count: number;
  rows_processed: number;
  unknown_columns: string[];
  workflow_id: string | null;
  failure_reason: string | null;
  cancel_requested_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
