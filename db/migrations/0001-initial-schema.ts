import type { Migration } from '../migrator';

const timestamps = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()`;

export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  subdomain text NOT NULL,
  status text NOT NULL DEFAULT 'provisioning'
    CHECK (status IN ('provisioning','active','failed','deprovisioning','deleted')),
  dns_status text NOT NULL DEFAULT 'pending' CHECK (dns_status IN ('pending','in_sync','failed')),
  logo_key text,
  logo_url text,
  failure_reason text,${timestamps}
);
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (subdomain);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email = lower(email)),
  name text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  platform_admin boolean NOT NULL DEFAULT false,${timestamps}
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner','admin','member')),${timestamps},
  UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email)),
  role text NOT NULL CHECK (role IN ('owner','admin','member')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending','sent','accepted','expired','revoked','failed')),
  invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  sent_at timestamptz,
  accepted_at timestamptz,
  reminder_sent_at timestamptz,
  token_id uuid NOT NULL,
  workflow_id text,
  failure_reason text,${timestamps}
);
CREATE UNIQUE INDEX invitations_token_id_key ON invitations (token_id);
-- One open invitation per organization and address: the API answers 409 on a second one.
CREATE UNIQUE INDEX invitations_open_email_key ON invitations (organization_id, email)
  WHERE status IN ('pending','sent');

CREATE TABLE roster_imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('employees','caregivers','patients')),
  source_bucket text NOT NULL,
  source_key text NOT NULL,
  source_etag text,
  format text NOT NULL CHECK (format IN ('csv','xlsx')),
  mode text NOT NULL DEFAULT 'merge' CHECK (mode IN ('replace','merge')),
  dry_run boolean NOT NULL DEFAULT false,
  force boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued','running','succeeded','failed','cancelled')),
  total_count integer NOT NULL DEFAULT 0,
  inserted_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  unchanged_count integer NOT NULL DEFAULT 0,
  deactivated_count integer NOT NULL DEFAULT 0,
  rejected_count integer NOT NULL DEFAULT 0,
  rows_processed integer NOT NULL DEFAULT 0,
  unknown_columns text[] NOT NULL DEFAULT '{}',
  workflow_id text,
  error_report_key text,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  started_at timestamptz,
  finished_at timestamptz,
  failure_reason text,${timestamps}
);
CREATE INDEX roster_imports_organization_idx ON roster_imports (organization_id, created_at DESC, id);

CREATE TABLE roster_import_errors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  import_id uuid NOT NULL REFERENCES roster_imports(id) ON DELETE CASCADE,
  row_number integer NOT NULL,
  "column" text,
  code text NOT NULL,
  message text NOT NULL,${timestamps}
);
CREATE INDEX roster_import_errors_import_idx ON roster_import_errors (import_id, row_number, id);

CREATE TABLE employees (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('employee','caregiver')),
  external_id text,
  first_name text NOT NULL,
  middle_name text,
  last_name text NOT NULL,
  date_of_birth date,
  npi text CHECK (npi ~ '^[0-9]{10}$'),
  email text,
  phone text,
  title text,
  hire_date date,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive')),
  first_name_norm text NOT NULL,
  last_name_norm text NOT NULL,
  full_name_norm text NOT NULL,
  last_import_id uuid REFERENCES roster_imports(id) ON DELETE SET NULL,${timestamps},
  CHECK (external_id IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX employees_org_kind_external_id_key ON employees (organization_id, kind, external_id);
-- Rows keyed by email (no external id) are unique per organization and kind too.
CREATE UNIQUE INDEX employees_org_kind_email_key ON employees (organization_id, kind, lower(email))
  WHERE external_id IS NULL;
CREATE INDEX employees_full_name_trgm_idx ON employees USING gin (full_name_norm gin_trgm_ops);
CREATE INDEX employees_org_name_idx ON employees (organization_id, full_name_norm, id);
CREATE INDEX employees_npi_idx ON employees (npi) WHERE npi IS NOT NULL;
CREATE INDEX employees_email_idx ON employees (organization_id, lower(email));
CREATE INDEX employees_match_name_idx ON employees (last_name_norm, first_name_norm);

CREATE TABLE patients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  external_id text NOT NULL,
  first_name text NOT NULL,
  middle_name text,
  last_name text NOT NULL,
  date_of_birth date NOT NULL,
  sex text,
  phone text,
  email text,
  address text,
  city text,
  state text,
  zip text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive')),
  full_name_norm text NOT NULL,
  last_import_id uuid REFERENCES roster_imports(id) ON DELETE SET NULL,${timestamps},
  UNIQUE (organization_id, external_id)
);
CREATE INDEX patients_full_name_trgm_idx ON patients USING gin (full_name_norm gin_trgm_ops);
CREATE INDEX patients_org_name_idx ON patients (organization_id, full_name_norm, id);

CREATE TABLE oig_employees_exclusion (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  exclusion_key text NOT NULL,
  lastname text,
  firstname text,
  midname text,
  busname text,
  general text,
  specialty text,
  upin text,
  npi text,
  dob date,
  address text,
  city text,
  state text,
  zip text,
  excltype text,
  excldate date,
  reindate date,
  waiverdate date,
  wvrstate text,
  last_name_norm text,
  first_name_norm text,
  full_name_norm text,${timestamps}
);
CREATE UNIQUE INDEX oig_employees_exclusion_key ON oig_employees_exclusion (exclusion_key);
CREATE INDEX oig_employees_exclusion_name_idx ON oig_employees_exclusion (last_name_norm, first_name_norm);
CREATE INDEX oig_employees_exclusion_npi_idx ON oig_employees_exclusion (npi) WHERE npi IS NOT NULL;
CREATE INDEX oig_employees_exclusion_trgm_idx
  ON oig_employees_exclusion USING gin (full_name_norm gin_trgm_ops);
CREATE INDEX oig_employees_exclusion_state_idx ON oig_employees_exclusion (state);

CREATE TABLE oig_exclusions_check (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  checked_at timestamptz NOT NULL DEFAULT now(),
  trigger text NOT NULL CHECK (trigger IN ('schedule','manual')),
  source_updated_on date,
  etag text,
  last_modified text,
  sha256 text,
  status text NOT NULL CHECK (status IN ('unchanged','imported','failed')),
  row_count integer,
  added integer,
  removed integer,
  invalid_fields integer,
  duration_ms integer,
  archive_key text,
  warning text,
  error text,
  workflow_id text,${timestamps}
);
CREATE INDEX oig_exclusions_check_checked_at_idx ON oig_exclusions_check (checked_at DESC, id);

CREATE TABLE exclusion_matches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  employee_id uuid NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
  exclusion_key text NOT NULL,
  reason text NOT NULL CHECK (reason IN ('npi','name_dob','name')),
  score numeric(3,2) NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','confirmed','dismissed','resolved')),
  resolution text,
  first_detected_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  reviewed_by uuid REFERENCES users(id) ON DELETE SET NULL,
  reviewed_at timestamptz,
  note text,${timestamps},
  UNIQUE (employee_id, exclusion_key)
);
CREATE INDEX exclusion_matches_org_status_idx ON exclusion_matches (organization_id, status, id);
CREATE INDEX exclusion_matches_key_idx ON exclusion_matches (exclusion_key);

CREATE TABLE email_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  to_address text NOT NULL,
  template text NOT NULL,
  subject text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),
  provider text NOT NULL CHECK (provider IN ('log','sendgrid')),
  provider_message_id text,
  error text,
  related_entity_type text,
  related_entity_id uuid,
  idempotency_key text,${timestamps}
);
CREATE UNIQUE INDEX email_messages_idempotency_key ON email_messages (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX email_messages_related_idx ON email_messages (related_entity_type, related_entity_id);

CREATE TABLE audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid,
  organization_id uuid REFERENCES organizations(id) ON DELETE SET NULL,
  at timestamptz NOT NULL DEFAULT now(),
  details jsonb NOT NULL DEFAULT '{}',${timestamps}
);
CREATE INDEX audit_log_org_at_idx ON audit_log (organization_id, at DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TABLE IF EXISTS audit_log, email_messages, exclusion_matches, oig_exclusions_check,
  oig_employees_exclusion, patients, employees, roster_import_errors, roster_imports, invitations,
  memberships, users, organizations CASCADE;
`);
};
