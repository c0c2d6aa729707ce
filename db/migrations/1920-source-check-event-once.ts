import type { Migration } from '../migrator';

/**
 * One `source.check` live event per check (docs/spec.md §12). The triggers of migration 1600 fired
 * on every INSERT and UPDATE of a check row, and an import inserts its check and then writes its
 * counts into it in the same transaction, so each imported check was announced twice with the same
 * data. A check is announced when it is recorded, and again only when its status changes.
 */
const TABLES = [
  ['oig_exclusions_check', 'live_event_source_check'],
  ['exclusion_source_checks', 'live_event_exclusion_source_check'],
] as const;

export const up: Migration = async ({ context: sql }) => {
  for (const [table, fn] of TABLES) {
    await sql.query(`
      DROP TRIGGER ${table}_live_event ON ${table};
      CREATE CONSTRAINT TRIGGER ${table}_live_event_insert AFTER INSERT ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${fn}();
      CREATE CONSTRAINT TRIGGER ${table}_live_event_update AFTER UPDATE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION ${fn}();`);
  }
};

export const down: Migration = async ({ context: sql }) => {
  for (const [table, fn] of TABLES) {
    await sql.query(`
      DROP TRIGGER ${table}_live_event_insert ON ${table};
      DROP TRIGGER ${table}_live_event_update ON ${table};
      CREATE CONSTRAINT TRIGGER ${table}_live_event AFTER INSERT OR UPDATE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
  }
};
