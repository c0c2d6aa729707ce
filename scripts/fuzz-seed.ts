import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { insertSampleExclusion } from '../db/fuzz-seed-store';
import { insertOrganization } from '../db/organization-store';
import { insertEmployee } from '../db/people-store';
import { insertRosterImport } from '../db/roster-import-store';
import { listExclusionMatches, screenChunk } from '../db/screening-store';
import { insertSession } from '../db/session-store';
import { ensureMembership, insertUser } from '../db/user-store';
import type { Config } from '../lib/config';
import { hashPassword } from '../lib/passwords';
import { signAccessToken } from '../lib/tokens';

/** The ids the fuzz run puts into paths: each destructive operation gets objects of its own. */
export interface FuzzSeed {
  token: string;
  /** POST /v1/auth/logout ends this session of the admin (docs/spec.md §11), not `token`'s. */
  logoutToken: string;
  organizationId: string;
  /** PATCH /v1/organizations/{orgId} may change the subdomain of this one. */
  renamedOrganizationId: string;
  /** DELETE /v1/organizations/{orgId} deprovisions this one. */
  deletedOrganizationId: string;
  employeeId: string;
  /** PATCH and DELETE of …/employees/{id} change this one. */
  changedEmployeeId: string;
  importId: string;
  /** POST …/imports/{id}/cancel cancels this one. */
  cancelledImportId: string;
  matchId: string;
  /** PATCH and DELETE of …/members/{userId} change and remove this member. */
  memberUserId: string;
}

const NO_ID = '00000000-0000-0000-0000-000000000000';

async function organization(sequelize: Sequelize, name: string) {
  const subdomain = `fuzz-${randomUUID().slice(0, 8)}`;
  const row = await insertOrganization(sequelize, {
    name,
    subdomain,
    status: 'active',
    dns_status: 'in_sync',
  });
  if (!row) throw new Error(`could not seed the organization ${subdomain}`);
  return row.id;
}

function employee(sequelize: Sequelize, organizationId: string, first: string, last: string, dob: string) {
  return insertEmployee(sequelize, {
    organizationId,
    kind: 'employee',
    status: 'active',
    record: { first_name: first, last_name: last, date_of_birth: dob, external_id: randomUUID() },
  });
}

function rosterImport(sequelize: Sequelize, config: Config, organizationId: string, createdBy: string) {
  const id = randomUUID();
  return insertRosterImport(sequelize, {
    id,
    organizationId,
    kind: 'employees',
    bucket: config.AWS_S3_BUCKET_NAME,
    key: `employees-list/${organizationId}/fuzz-${id}.csv`,
    etag: null,
    format: 'csv',
    mode: 'merge',
    dryRun: false,
    force: false,
    workflowId: null,
    createdBy,
  });
}

/** A platform admin with a token, organizations, people, imports and an exclusion match. */
export async function seedFuzzData(sequelize: Sequelize, config: Config): Promise<FuzzSeed> {
  const admin = await insertUser(sequelize, {
    email: `fuzz-${randomUUID()}@ale.test`,
    name: 'Fuzz Admin',
    password_hash: await hashPassword(randomUUID()),
    platform_admin: true,
  });
  const sessionToken = async () =>
    signAccessToken(
      { userId: admin.id, sessionId: await insertSession(sequelize, admin.id, 'password') },
      { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3 * 3600 },
    );
  const token = await sessionToken();
  const logoutToken = await sessionToken();
  const organizationId = await organization(sequelize, 'Fuzz Home Care');
  const person = await employee(sequelize, organizationId, 'Lucille', 'Pemberton', '1965-03-14');
  const changed = await employee(sequelize, organizationId, 'Dennis', 'Hargrove', '1970-01-01');
  // The real screening SQL pairs the seeded person with a LEIE row of the same name and birth date.
  await insertSampleExclusion(sequelize, {
    key: `fuzz/${randomUUID()}`,
    firstName: 'LUCILLE',
    lastName: 'PEMBERTON',
    dateOfBirth: '1965-03-14',
  });
  await screenChunk(
    sequelize,
    { kind: 'employees', organizationId, employeeIds: [person.id] },
    { after: NO_ID, upto: null },
  );
  const [match] = await listExclusionMatches(sequelize, organizationId, { limit: 1 });
  if (!match) throw new Error('the seeded employee did not match the seeded LEIE row');
  const imported = await rosterImport(sequelize, config, organizationId, admin.id);
  const cancelled = await rosterImport(sequelize, config, organizationId, admin.id);
  if (!imported || !cancelled) throw new Error('could not seed the imports');
  const member = await insertUser(sequelize, {
    email: `fuzz-member-${randomUUID()}@ale.test`,
    name: 'Fuzz Member',
    password_hash: await hashPassword(randomUUID()),
    platform_admin: false,
  });
  await ensureMembership(sequelize, { organization_id: organizationId, user_id: member.id, role: 'member' });
  return {
    token,
    logoutToken,
    organizationId,
    renamedOrganizationId: await organization(sequelize, 'Fuzz Renamed'),
    deletedOrganizationId: await organization(sequelize, 'Fuzz Deleted'),
    employeeId: person.id,
    changedEmployeeId: changed.id,
    importId: imported.id,
    cancelledImportId: cancelled.id,
    matchId: match.id,
    memberUserId: member.id,
  };
}
