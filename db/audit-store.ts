import { type Db, execute, query } from './sql';

/** The `audit_log` table: who did what to which entity. Ids, enums and counts only: never PHI. */

export interface AuditLogRow {
  id: string;
  actor_user_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  organization_id: string | null;
  at: Date;
  details: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export interface AuditEntry {
  actorUserId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  organizationId: string | null;
  /** Ids, enums and counts only: audit_log never holds PHI. */
  details?: Record<string, unknown>;
}

/**
 * Records `entry`; inside the transaction of the change it describes when `db` is one. `at` is the
 * transaction's time; `created_at` the insert's own, so entries of one transaction keep their order.
 */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await execute(
    db,
    `INSERT INTO audit_log (actor_user_id, action, entity_type, entity_id, organization_id, details,
       created_at, updated_at)
     VALUES ($actorUserId, $action, $entityType, $entityId, $organizationId, $details,
       clock_timestamp(), clock_timestamp())`,
    {
      actorUserId: entry.actorUserId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      organizationId: entry.organizationId,
      details: JSON.stringify(entry.details ?? {}),
    },
  );
}

/** An audit row as listed: `cursor_at` is `at` as Postgres's text, so a cursor keeps its microseconds. */
export type AuditLogListRow = Omit<AuditLogRow, 'created_at' | 'updated_at'> & { cursor_at: string };

export interface AuditLogFilters {
  /** One organization's trail; undefined for every organization (platform admins). */
  organizationId?: string;
  start: Date | null;
  /** Exclusive. */
  end: Date | null;
  action?: string;
}

/** One page of audit rows, newest first, before the (at, id) of `before`. */
export function listAuditLog(
  db: Db,
  filters: AuditLogFilters,
  page: { limit: number; before?: [at: string, id: string] },
): Promise<AuditLogListRow[]> {
  const where = ['TRUE'];
  if (filters.organizationId) where.push('organization_id = $organizationId');
  if (filters.start) where.push('at >= $start');
  if (filters.end) where.push('at < $end');
  if (filters.action) where.push('action = $action');
  if (page.before) where.push('(at, id) < (CAST($beforeAt AS timestamptz), CAST($beforeId AS uuid))');
  return query<AuditLogListRow>(
    db,
    `SELECT id, actor_user_id, action, entity_type, entity_id, organization_id, at, details, at::text AS cursor_at
     FROM audit_log WHERE ${where.join(' AND ')}
     ORDER BY at DESC, id DESC LIMIT $limit`,
    {
      organizationId: filters.organizationId ?? null,
      start: filters.start,
      end: filters.end,
      action: filters.action ?? null,
      beforeAt: page.before?.[0] ?? null,
      beforeId: page.before?.[1] ?? null,
      limit: page.limit,
    },
  );
}
