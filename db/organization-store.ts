import type { Sequelize } from 'sequelize';
import { type Db, execute, inTransaction, isUniqueViolation, query, queryOne } from './sql';

/**
 * Every statement on `organizations`. The API records intents here (create, rename, a new
 * subdomain, delete); the lifecycle workflow's activities record what the outside world now looks
 * like, each with a condition so a late step never overwrites a newer intent.
 */

export type OrganizationStatus = 'provisioning' | 'active' | 'failed' | 'deprovisioning' | 'deleted';
export type DnsStatus = 'pending' | 'in_sync' | 'failed';

export interface OrganizationRow {
  id: string;
  name: string;
  subdomain: string;
  status: OrganizationStatus;
  dns_status: DnsStatus;
  logo_key: string | null;
  logo_url: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, name, subdomain, status, dns_status, logo_key, logo_url, failure_reason, created_at, updated_at`;

export function findOrganization(db: Db, id: string): Promise<OrganizationRow | undefined> {
  return queryOne<OrganizationRow>(db, `SELECT ${COLUMNS} FROM organizations WHERE id = $id`, { id });
}

/**
 * Whether the organization is being deleted or deleted (docs/spec.md §12: it takes no more writes).
 * FOR SHARE: a deletion recorded meanwhile waits for the caller's transaction, so a write checked
 * here cannot slip in after the deletion was accepted.
 */
export async function isOrganizationClosedForWrites(db: Db, id: string): Promise<boolean> {
  const row = await queryOne<{ status: OrganizationStatus }>(
    db,
    'SELECT status FROM organizations WHERE id = $id FOR SHARE',
    { id },
  );
  return row === undefined || row.status === 'deprovisioning' || row.status === 'deleted';
}

/**
 * Runs `work` in one transaction with the organization's row locked, so intents on one organization
 * are recorded in order; `work` records through the `tx` it is given.
 */
export function withLockedOrganization<T>(
  sequelize: Sequelize,
  id: string,
  work: (organization: OrganizationRow, tx: Db) => Promise<T>,
): Promise<T> {
  return inTransaction(sequelize, async (tx) => {
    const organization = await queryOne<OrganizationRow>(
      tx,
      `SELECT ${COLUMNS} FROM organizations WHERE id = $id FOR UPDATE`,
      { id },
    );
    if (!organization) throw new Error(`Organization ${id} vanished while it was being changed.`);
    return work(organization, tx);
  });
}

/**
 * Inserts the organization and runs `work` (its audit entry) in the same transaction; undefined,
 * with nothing written, when another organization that is not deleted holds the subdomain.
 */
export function withInsertedOrganization(
  sequelize: Sequelize,
  organization: Pick<OrganizationRow, 'name' | 'subdomain' | 'status' | 'dns_status'>,
  work: (organization: OrganizationRow, tx: Db) => Promise<void>,
): Promise<OrganizationRow | undefined> {
  return inTransaction(sequelize, async (tx) => {
    const row = await insertOrganization(tx, organization);
    if (row) await work(row, tx);
    return row;
  });
}

/** A new organization; undefined when another organization that is not deleted holds the subdomain. */
export function insertOrganization(
  db: Db,
  organization: Pick<OrganizationRow, 'name' | 'subdomain' | 'status' | 'dns_status'>,
): Promise<OrganizationRow | undefined> {
  return queryOne<OrganizationRow>(
    db,
    `INSERT INTO organizations (name, subdomain, status, dns_status)
     VALUES ($name, $subdomain, $status, $dnsStatus)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    { ...organization, dnsStatus: organization.dns_status },
  );
}

/** Organizations by name then id, after the cursor: all of them for a platform admin, else the user's. */
export async function listOrganizationsVisibleTo(
  db: Db,
  viewer: { userId: string; platformAdmin: boolean },
  after: [name: string, id: string] | undefined,
  limit: number,
): Promise<OrganizationRow[]> {
  return query<OrganizationRow>(
    db,
    `SELECT ${COLUMNS} FROM organizations o
      WHERE ($admin OR EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = o.id AND m.user_id = $userId))
        ${after ? 'AND (o.name, o.id) > ($afterName, CAST($afterId AS uuid))' : ''}
      ORDER BY o.name, o.id
      LIMIT $limit`,
    {
      admin: viewer.platformAdmin,
      userId: viewer.userId,
      afterName: after?.[0] ?? null,
      afterId: after?.[1] ?? null,
      limit,
    },
  );
}

export async function renameOrganization(db: Db, id: string, name: string): Promise<void> {
  await execute(db, 'UPDATE organizations SET name = $name, updated_at = now() WHERE id = $id', { id, name });
}

/**
 * A new subdomain to provision; false when another organization that is not deleted holds it (in
 * a transaction, which can then only roll back).
 */
export async function recordSubdomainChange(db: Db, id: string, subdomain: string): Promise<boolean> {
  try {
    await execute(
      db,
      `UPDATE organizations SET subdomain = $subdomain, status = 'provisioning', dns_status = 'pending',
         updated_at = now()
       WHERE id = $id`,
      { id, subdomain },
    );
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** A retry is under way; the failure reason stays visible until the retried change succeeds or fails again. */
export async function markOrganizationRetrying(db: Db, id: string): Promise<void> {
  await execute(db, `UPDATE organizations SET status = 'provisioning', updated_at = now() WHERE id = $id`, {
    id,
  });
}

/** The API accepted a deletion: the workflow deletes the record and the logo next. */
export async function recordOrganizationDeletion(db: Db, id: string): Promise<void> {
  await execute(
    db,
    `UPDATE organizations SET status = 'deprovisioning', failure_reason = NULL, updated_at = now() WHERE id = $id`,
    { id },
  );
}

/**
 * DNS for `subdomain` is in sync: the organization is active, unless the API has meanwhile recorded
 * another subdomain (a queued change will finish it) or a deletion. Whether it was marked.
 */
export async function markOrganizationActive(db: Db, id: string, subdomain: string): Promise<boolean> {
  const touched = await execute(
    db,
    `UPDATE organizations SET status = 'active', dns_status = 'in_sync', failure_reason = NULL, updated_at = now()
     WHERE id = $id AND subdomain = $subdomain AND status IN ('provisioning','active','failed')`,
    { id, subdomain },
  );
  return touched > 0;
}

/** A (retried) deprovisioning is under way; the API may have shown `provisioning` for the retry. */
export async function markOrganizationDeprovisioning(db: Db, id: string): Promise<void> {
  await execute(
    db,
    `UPDATE organizations SET status = 'deprovisioning', updated_at = now()
     WHERE id = $id AND status <> 'deleted'`,
    { id },
  );
}

export async function markOrganizationFailed(
  db: Db,
  id: string,
  failure: { reason: string; dnsFailed: boolean },
): Promise<void> {
  await execute(
    db,
    `UPDATE organizations SET status = 'failed', failure_reason = $reason, updated_at = now(),
       dns_status = CASE WHEN $dnsFailed THEN 'failed' ELSE dns_status END
     WHERE id = $id AND status <> 'deleted'`,
    { id, reason: failure.reason, dnsFailed: failure.dnsFailed },
  );
}

export async function markOrganizationDeleted(db: Db, id: string): Promise<void> {
  await execute(
    db,
    `UPDATE organizations SET status = 'deleted', dns_status = 'pending', failure_reason = NULL,
       logo_key = NULL, logo_url = NULL, updated_at = now()
     WHERE id = $id`,
    { id },
  );
}

/** Makes `logo` (or no logo) current and returns the key it replaced, whose object may now go. */
export async function replaceOrganizationLogo(
  db: Db,
  id: string,
  logo: { key: string; url: string } | null,
): Promise<string | null> {
  const row = await queryOne<{ previous_key: string | null }>(
    db,
    `UPDATE organizations o SET logo_key = $key, logo_url = $url, updated_at = now()
     FROM (SELECT id, logo_key FROM organizations WHERE id = $id FOR UPDATE) previous
     WHERE o.id = previous.id
     RETURNING previous.logo_key AS previous_key`,
    { id, key: logo?.key ?? null, url: logo?.url ?? null },
  );
  return row?.previous_key ?? null;
}

/** Whether `key` is (again) the organization's current logo, so its object must stay. */
export async function isCurrentLogo(db: Db, id: string, key: string): Promise<boolean> {
  const row = await queryOne(db, 'SELECT 1 FROM organizations WHERE id = $id AND logo_key = $key', {
    id,
    key,
  });
  return row !== undefined;
}

/** Whether another organization that is not deleted now holds `subdomain` (it is theirs since the reuse). */
export async function isSubdomainClaimedByAnother(db: Db, subdomain: string, id: string): Promise<boolean> {
  const row = await queryOne(
    db,
    `SELECT 1 FROM organizations WHERE subdomain = $subdomain AND id <> $id AND status <> 'deleted'`,
    { subdomain, id },
  );
  return row !== undefined;
}

/** Active organizations after `after` (by id), at most `limit`: the monthly rescreen's worklist. */
export async function listActiveOrganizationIds(
  db: Db,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await query<{ id: string }>(
    db,
    `SELECT id FROM organizations WHERE status = 'active' AND ($after::uuid IS NULL OR id > $after::uuid)
     ORDER BY id LIMIT $limit`,
    { after, limit },
  );
  return rows.map((row) => row.id);
}
