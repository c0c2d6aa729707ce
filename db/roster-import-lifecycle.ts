import type { Sequelize } from 'sequelize';
import { NotFoundError } from '../domain/errors';
import { DeactivationRefusedError, deactivationRefusal } from '../domain/roster-replace';
import { recordAudit } from './audit-store';
import { countRosterMembersInFile, deactivateMissingRosterMembers } from './people-import-store';
import {
  endRosterImport,
  findRosterImport,
  type RosterImportRow,
  recordDeactivatedCount,
  rosterImportSummary,
} from './roster-import-store';
import { type Db, inTransaction } from './sql';

/**
 * How an import ends, each in one transaction with the import's row locked: succeeded (after the
 * replace step), failed, or cancelled. An import that has ended already is returned as it is.
 */

async function lockedImport(tx: Db, importId: string) {
  const imp = await findRosterImport(tx, importId, { lock: true });
  if (!imp) throw new NotFoundError(`Import ${importId} does not exist.`);
  return imp;
}

const isOpen = (imp: RosterImportRow) => imp.status === 'queued' || imp.status === 'running';

/**
 * After the whole file was read: mode=replace deactivates the members missing from it (refusing
 * more than half of the active roster unless forced: DeactivationRefusedError), then the import
 * succeeds. A cancel requested meanwhile ends it cancelled instead.
 */
export function finishRosterImport(sequelize: Sequelize, importId: string): Promise<RosterImportRow> {
  return inTransaction(sequelize, async (tx) => {
    const imp = await lockedImport(tx, importId);
    if (imp.status !== 'running') return imp;
    if (imp.cancel_requested_at) return endRosterImport(tx, importId, 'cancelled', null);
    const target = { importId, organizationId: imp.organization_id, kind: imp.kind };
    let deactivated = 0;
    if (imp.mode === 'replace') {
      const { active, inFile } = await countRosterMembersInFile(tx, target);
      const refusal = deactivationRefusal({ kind: imp.kind, active, inFile, force: imp.force });
      if (refusal) throw new DeactivationRefusedError(refusal);
      const absent = active - inFile;
      if (imp.dry_run) deactivated = absent;
      else if (absent > 0) deactivated = await deactivateMissingRosterMembers(tx, target);
    }
    await recordDeactivatedCount(tx, importId, deactivated);
    const done = await endRosterImport(tx, importId, 'succeeded', null);
    await recordAudit(tx, {
      actorUserId: null,
      action: 'roster_import.succeeded',
      entityType: 'roster_import',
      entityId: importId,
      organizationId: imp.organization_id,
      details: { ...rosterImportSummary(done).counts, dryRun: imp.dry_run, mode: imp.mode },
    });
    return done;
  });
}

/** Ends a queued or running import as failed with `reason`; committed batches stay committed. */
export function failRosterImport(sequelize: Sequelize, importId: string, reason: string) {
  return inTransaction(sequelize, async (tx) => {
    const imp = await lockedImport(tx, importId);
    if (!isOpen(imp)) return imp;
    const done = await endRosterImport(tx, importId, 'failed', reason.slice(0, 2000));
    await recordAudit(tx, {
      actorUserId: null,
      action: 'roster_import.failed',
      entityType: 'roster_import',
      entityId: importId,
      organizationId: imp.organization_id,
      details: rosterImportSummary(done).counts as unknown as Record<string, unknown>,
    });
    return done;
  });
}

/** Ends a queued or running import as cancelled. */
export function cancelRosterImport(sequelize: Sequelize, importId: string) {
  return inTransaction(sequelize, async (tx) => {
    const imp = await lockedImport(tx, importId);
    if (!isOpen(imp)) return imp;
    return endRosterImport(tx, importId, 'cancelled', null);
  });
}
