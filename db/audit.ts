import type { Transaction } from 'sequelize';
import { AuditLog } from './models';

export interface AuditEntry {
  actorUserId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  organizationId: string | null;
  /** Ids, enums and counts only: audit_log never holds PHI. */
  details?: Record<string, unknown>;
}

export async function recordAudit(entry: AuditEntry, transaction?: Transaction): Promise<void> {
  await AuditLog.create({ ...entry, details: entry.details ?? {} }, { transaction });
}
