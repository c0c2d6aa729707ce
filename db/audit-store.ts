import { type Db, execute } from './sql';

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
