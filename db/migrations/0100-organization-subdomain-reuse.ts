import type { Migration } from '../migrator';

/**
 * A deleted organization keeps its row (and its subdomain, for the record) but no longer holds the
 * name: uniqueness applies to organizations that are not `deleted`, so the subdomain can be reused.
 * An organization that is still `deprovisioning` keeps it until its DNS record is gone.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS organizations_subdomain_key;
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (subdomain) WHERE status <> 'deleted';
`);
};

/** Fails (and changes nothing) if a reused subdomain now appears twice; delete the older deleted row first. */
export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS organizations_subdomain_key;
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (subdomain);
`);
};
