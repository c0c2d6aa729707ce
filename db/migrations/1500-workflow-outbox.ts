import type { Migration } from '../migrator';

/**
 * `workflow_outbox` (docs/spec.md §12): a write that must start or signal a workflow records that
 * intent here in its own transaction, so a Temporal outage loses nothing. The relay of
 * services/workflow-outbox.ts delivers the rows and deletes them.
 * - `entity_key` orders deliveries: only the oldest row of an entity is ever handed out, so the
 *   changes to one organization, invitation or person reach Temporal in the order they were written.
 * - `leased_until` is the claim of one relay (several API replicas share the table); a crashed
 *   relay's claim lapses and another delivers the row (deliveries are idempotent by workflow id).
 * - `intent` holds ids only (the workflow inputs of lib/workflow-contracts.ts), never PHI.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE workflow_outbox (
  id bigserial PRIMARY KEY,
  entity_key text NOT NULL,
  intent jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_outbox_entity_idx ON workflow_outbox (entity_key, id);
CREATE INDEX workflow_outbox_due_idx ON workflow_outbox (next_attempt_at, id);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS workflow_outbox;');
};
