/**
 * Tolerant matching benchmark (docs/spec.md §9), on the test stack (embedded Postgres, Temporal dev
 * server) started for this run:
 * 1. precision and recall per reason on the labeled set (test/fixtures/matching-labeled-set.json,
 *    scripts/generate-matching-set.ts), screened as the workflow's activity screens an organization;
 * 2. a full rescreen of 100k active people (50 organizations; first names from the nickname table,
 *    5 % with other names) against every source at once: 82k LEIE rows, 170k SAM records (20 % with
 *    aliases, no DOB), 2,000 PA and 2,000 CA records — the first run, then the rerun;
 * 3. one person's rescreen as the real `exclusionScreening` workflow on a warm in-process worker,
 *    workflow start → result (the matches are written by `screenEmployees`, before the alerts);
 * 4. EXPLAIN ANALYZE of the statement of each mode (a chunk of the full rescreen, one person), whose
 *    plan holds one join per tier.
 *
 *   npx tsx bench/matching.ts [--employees 100000] [--leie 82000] [--sam 170000] [--state 2000] [--people 7]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Sequelize } from 'sequelize';
import { DEFAULT_SCREENING_CHUNK_SIZE } from '../activities/screening';
import { scopeSql, screenSql } from '../db/screening-match-sql';
import {
  applyScreeningSettings,
  FIRST_EMPLOYEE_ID,
  nextChunk,
  resolveLapsedMatches,
  screenChunk,
} from '../db/screening-store';
import { execute, query, queryOne } from '../db/sql';
import { EXCLUSION_SOURCE_IDS } from '../domain/exclusion-sources/source';
import { type ScreeningScope, screeningWorkflowId } from '../lib/workflow-contracts';
import { formatScore, insertLabeledSet, labeledSet, scoreLabeledSet } from '../test/fixtures/matching-set';
import { createOrganization } from '../test/support/fixtures';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';
import { exclusionScreening } from '../workflows/exclusion-screening';
import { median, ms } from './support/timing';
import { activityTimes } from './support/workflow-steps';

const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '100000' },
    leie: { type: 'string', default: '82000' },
    sam: { type: 'string', default: '170000' },
    state: { type: 'string', default: '2000' },
    organizations: { type: 'string', default: '50' },
    people: { type: 'string', default: '7' },
  },
});
const EMPLOYEES = Number(values.employees);
const LEIE = Number(values.leie);
const SAM = Number(values.sam);
const STATE = Number(values.state);
const ORGANIZATIONS = Number(values.organizations);
const PEOPLE = Number(values.people);
const TARGET_FULL_MS = 5000;
const TARGET_PERSON_MS = 300;
const SOURCES = [...EXCLUSION_SOURCE_IDS];

/** Screens a scope the way the screenEmployees activity does (resolve lapsed, then chunk by chunk). */
async function screen(sequelize: Sequelize, scope: ScreeningScope) {
  const total = {
    lapsed: await resolveLapsedMatches(sequelize, scope, SOURCES),
    opened: 0,
    matched: 0,
    chunks: 0,
  };
  let after = FIRST_EMPLOYEE_ID;
  for (;;) {
    const chunk = await nextChunk(sequelize, scope, after, DEFAULT_SCREENING_CHUNK_SIZE);
    if (!chunk) break;
    const counts = await screenChunk(sequelize, scope, chunk, SOURCES);
    total.opened += counts.opened;
    total.matched += counts.matched;
    total.chunks += 1;
    if (chunk.upto === null) break;
    after = chunk.upto;
  }
  return total;
}

/** Synthetic upper-case last names: `pool` distinct values, e.g. SEIOUB. */
const lastSql = (prefix: string, pool: number) =>
  `'${prefix}' || translate(lpad(floor(random() * ${pool})::int::text, 5, '0'), '0123456789', 'AEIOUBCDFG')`;
/** A real first name (those of the nickname table, so the nickname tier sees real pairs). */
const firstSql = `(SELECT f.names[1 + floor(random() * f.n)::int] FROM bench_first f)`;

async function generate(sequelize: Sequelize, organizationIds: string[]) {
  const q = (sql: string) => execute(sequelize, sql);
  await q(`CREATE TABLE bench_first AS SELECT array_agg(DISTINCT name) AS names, count(DISTINCT name)::int AS n
           FROM name_nicknames`);
  // The LEIE: 8 % business-only rows, 1 % reinstated, 5 % without DOB, 20 % with an NPI, 4 % hyphenated.
  await q(`
INSERT INTO oig_employees_exclusion
  (exclusion_key, lastname, firstname, busname, npi, dob, reindate, general, excltype, excldate, state,
   last_name_norm, first_name_norm, full_name_norm)
SELECT 'bench-' || g, lastname, firstname, busname, npi, dob, reindate, 'NURSE/NURSES AIDE', '1128b4',
  date '2010-01-01' + (g % 5000), 'TX',
  ale_normalize_name(lastname), ale_normalize_name(firstname), ale_normalize_name(firstname || ' ' || lastname)
FROM (
  SELECT g,
    CASE WHEN business THEN NULL WHEN random() < 0.04 THEN ${lastSql('S', 5000)} || '-' || ${lastSql('T', 5000)}
         ELSE ${lastSql('S', 5000)} END AS lastname,
    CASE WHEN business THEN NULL ELSE ${firstSql} END AS firstname,
    CASE WHEN business THEN 'BUSINESS ' || g || ' LLC' END AS busname,
    CASE WHEN random() < 0.2 THEN (1000000000 + g)::text ELSE '0000000000' END AS npi,
    CASE WHEN business OR random() < 0.05 THEN NULL ELSE date '1940-01-01' + (random() * 20000)::int END AS dob,
    CASE WHEN random() < 0.01 THEN date '2022-01-01' END AS reindate
  FROM (SELECT g, random() < 0.08 AS business FROM generate_series(1, ${LEIE}) g) s
) rows`);
  // SAM (no DOB; 15 % firms; 20 % with one or two aliases; 5 % NPI; 3 % ended) and two state lists.
  for (const [source, rows, aliasShare] of [
    ['sam', SAM, 0.2],
    ['pa_medicheck', STATE, 0.1],
    ['ca_medi_cal', STATE, 0.3],
  ] as const) {
    await q(`
INSERT INTO exclusion_source_records
  (source, exclusion_key, entity_kind, first_name, last_name, business_name, aliases, npi, ends_on, state,
   last_name_norm, first_name_norm, full_name_norm, search_norm)
SELECT '${source}', '${source}-' || g, CASE WHEN business THEN 'business' ELSE 'individual' END,
  first_name, last_name, CASE WHEN business THEN 'FIRM ' || g END, aliases, npi, ends_on, 'PA',
  ale_normalize_name(last_name), ale_normalize_name(first_name),
  ale_normalize_name(first_name || ' ' || last_name), ale_normalize_name(first_name || ' ' || last_name)
FROM (
  SELECT g, business, ${firstSql} AS first_name, ${lastSql('S', 5000)} AS last_name,
    CASE WHEN random() < ${aliasShare} THEN ARRAY[${firstSql} || ' ' || ${lastSql('S', 5000)}]
           || CASE WHEN random() < 0.3 THEN ARRAY[${lastSql('S', 5000)} || ', ' || ${firstSql}] ELSE '{}' END
         ELSE '{}'::text[] END AS aliases,
    CASE WHEN random() < 0.05 THEN (3000000000 + g)::text END AS npi,
    CASE WHEN random() < 0.03 THEN date '2023-01-01' END AS ends_on
  FROM (SELECT g, random() < 0.15 AS business FROM generate_series(1, ${rows}) g) s
) rows`);
  }
  // People: 10 % without DOB, 30 % with an NPI, 5 % hyphenated, 5 % with other names; 1 % planted
  // copies of LEIE individuals (exact, or with a nickname, a typo, swapped names, a swapped day/month).
  await q(`
CREATE TEMP TABLE planted AS
SELECT row_number() OVER () AS n, lastname, firstname, dob, npi FROM (
  SELECT lastname, firstname, dob, npi FROM oig_employees_exclusion
  WHERE lastname IS NOT NULL AND reindate IS NULL AND dob IS NOT NULL ORDER BY random() LIMIT ${Math.ceil(EMPLOYEES / 100)}) p`);
  await q(`
CREATE TEMP TABLE bench_orgs AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
FROM unnest('{${organizationIds.join(',')}}'::uuid[]) AS id`);
  await q(`
INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, date_of_birth, npi, other_names,
  first_name_norm, last_name_norm)
SELECT o.id, 'employee', 'E' || g, first_name, last_name, dob, npi, other_names,
  ale_normalize_name(first_name), ale_normalize_name(last_name)
FROM (
  SELECT g,
    CASE WHEN p.n % 5 = 1 THEN coalesce((SELECT min(k.nickname) FROM name_nicknames k WHERE k.name = p.firstname), p.firstname)
         WHEN p.n % 5 = 3 THEN p.lastname
         ELSE coalesce(p.firstname, ${firstSql}) END AS first_name,
    CASE WHEN p.n % 5 = 2 THEN p.lastname || 'E'
         WHEN p.n % 5 = 3 THEN p.firstname
         ELSE coalesce(p.lastname, CASE WHEN random() < 0.05 THEN ${lastSql('S', 5000)} || '-' || ${lastSql('T', 5000)}
                                        ELSE ${lastSql('S', 5000)} END) END AS last_name,
    CASE WHEN p.n % 5 = 4 THEN coalesce(ale_day_month_swapped(p.dob), p.dob)
         WHEN p.n IS NOT NULL THEN p.dob WHEN random() < 0.1 THEN NULL
         ELSE date '1950-01-01' + (random() * 18000)::int END AS dob,
    CASE WHEN p.n IS NULL AND random() < 0.3 THEN (2000000000 + g)::text END AS npi,
    CASE WHEN random() < 0.05 THEN ARRAY[${firstSql} || ' ' || ${lastSql('S', 5000)}] ELSE '{}'::text[] END AS other_names
  FROM generate_series(1, ${EMPLOYEES}) g
  LEFT JOIN planted p ON g % 100 = 0 AND p.n = g / 100
) s
JOIN bench_orgs o ON o.k = g % ${organizationIds.length}`);
  await q('VACUUM ANALYZE');
}

/** Milliseconds from the workflow's start to the completion of its screenEmployees activity (history times). */
async function matchesWrittenAfter(handle: { fetchHistory(): Promise<{ events?: any[] | null }> }) {
  const events = (await handle.fetchHistory()).events ?? [];
  const time = (event: any) => Number(event.eventTime.seconds) * 1000 + event.eventTime.nanos / 1e6;
  const started = events[0] ? time(events[0]) : 0;
  const scheduled = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'screenEmployees',
  );
  const completed = events.find(
    (event) =>
      event.activityTaskCompletedEventAttributes &&
      String(event.activityTaskCompletedEventAttributes.scheduledEventId) === String(scheduled?.eventId),
  );
  return completed ? time(completed) - started : Number.NaN;
}

async function explain(sequelize: Sequelize, sql: string, bind: Record<string, unknown>): Promise<string> {
  const transaction = await sequelize.transaction();
  try {
    await applyScreeningSettings(transaction);
    const rows = await query<{ 'QUERY PLAN': string }>(
      transaction,
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
      bind,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await transaction.rollback();
  }
}

async function main() {
  console.log('tolerant matching benchmark: starting the test stack…');
  await startTestStack();
  const sequelize = stack().sequelize;
  try {
    // 1. The labeled set, alone in the database.
    const { pairs } = labeledSet();
    const labeledOrg = await createOrganization('Labeled');
    const tag = `labeled-${randomUUID()}`;
    await insertLabeledSet(sequelize, labeledOrg.id, pairs, tag);
    await screen(sequelize, { kind: 'organization', organizationId: labeledOrg.id });
    const score = await scoreLabeledSet(sequelize, labeledOrg.id, pairs, tag);
    console.log(`\nlabeled set: ${pairs.length} pairs (test/fixtures/matching-labeled-set.json)`);
    console.log(formatScore(score));
    if (score.missed.length > 0) console.log(`missed: ${JSON.stringify(score.missed)}`);
    if (score.nearMissesMatched.length > 0)
      console.log(`near misses matched: ${JSON.stringify(score.nearMissesMatched)}`);

    // 2. The full rescreen.
    const organizationIds: string[] = [];
    for (let i = 0; i < ORGANIZATIONS; i++) {
      organizationIds.push((await createOrganization(`Agency ${i}`)).id);
    }
    let start = process.hrtime.bigint();
    await generate(sequelize, organizationIds);
    const counts = await queryOne<{ people: number; leie: number; records: string }>(
      sequelize,
      `SELECT (SELECT count(*) FROM employees WHERE status = 'active')::int AS people,
              (SELECT count(*) FROM oig_employees_exclusion)::int AS leie,
              (SELECT string_agg(source || ' ' || n, ', ') FROM (SELECT source, count(*) AS n
                 FROM exclusion_source_records GROUP BY source) s) AS records`,
    );
    console.log(
      `\ngenerated in ${ms(start).toFixed(0)} ms: ${counts?.people} active people, ${counts?.leie} LEIE rows, ${counts?.records}`,
    );
    const all: ScreeningScope = { kind: 'all' };
    start = process.hrtime.bigint();
    const first = await screen(sequelize, all);
    const firstMs = ms(start);
    start = process.hrtime.bigint();
    const rerun = await screen(sequelize, all);
    const rerunMs = ms(start);
    const reasons = await queryOne<{ reasons: string }>(
      sequelize,
      `SELECT string_agg(reason || ' ' || n, ', ' ORDER BY reason) AS reasons FROM
        (SELECT reason, count(*)::int AS n FROM exclusion_matches GROUP BY reason) r`,
    );
    console.log(
      `full rescreen, first run: ${firstMs.toFixed(0)} ms (${first.chunks} chunks, ${first.opened} matches: ${reasons?.reasons})`,
    );
    console.log(
      `full rescreen, rerun:     ${rerunMs.toFixed(0)} ms (${rerun.matched} matches seen, ${rerun.opened} opened)  target ≤ ${TARGET_FULL_MS} ms: ${Math.max(firstMs, rerunMs) <= TARGET_FULL_MS ? 'met' : 'MISSED'}`,
    );

    // 3. One person's rescreen through the workflow, warm worker.
    const people = await query<{ id: string; organization_id: string }>(
      sequelize,
      `SELECT id, organization_id FROM employees WHERE status = 'active' AND external_id LIKE 'E%' ORDER BY random() LIMIT ${PEOPLE + 1}`,
    );
    // The full rescreen above ran outside the workflow: its matches count as alerted, so a person's
    // rescreen sends no email about them.
    await execute(sequelize, 'UPDATE exclusion_matches SET alerted_at = now() WHERE alerted_at IS NULL');
    const taskQueue = `matching-bench-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, {
      EMAIL_PROVIDER: 'log',
      EXCLUSION_SOURCES: SOURCES,
    });
    const runs: { total: number; written: number; steps: string }[] = [];
    await worker.runUntil(async () => {
      for (const person of people) {
        const scope: ScreeningScope = {
          kind: 'employees',
          organizationId: person.organization_id,
          employeeIds: [person.id],
        };
        const begin = process.hrtime.bigint();
        const handle = await stack().temporal.workflow.start(exclusionScreening, {
          taskQueue,
          workflowId: screeningWorkflowId('employees', `${person.id}-${randomUUID()}`),
          args: [scope],
        });
        await handle.result();
        const total = ms(begin);
        runs.push({ total, written: await matchesWrittenAfter(handle), steps: await activityTimes(handle) });
      }
    });
    const timed = runs.slice(1); // the first warms the worker's workflow cache
    const personMs = median(timed.map((run) => run.total));
    const writtenMs = median(timed.map((run) => run.written));
    console.log(
      `\none person's rescreen, workflow started → screenEmployees completed (matches written), median of ${timed.length}: ${writtenMs.toFixed(0)} ms  ` +
        `(each: ${timed.map((run) => run.written.toFixed(0)).join(', ')})  target ≤ ${TARGET_PERSON_MS} ms: ${writtenMs <= TARGET_PERSON_MS ? 'met' : 'MISSED'}`,
    );
    console.log(
      `\none person's rescreen (workflow start → result, median of ${timed.length}, warm worker): ${personMs.toFixed(0)} ms  ` +
        `(each: ${timed.map((run) => run.total.toFixed(0)).join(', ')}; the run record and alert check follow the matches)`,
    );
    console.log(
      `activities of the median run (ms from scheduled to completed): ${timed.find((run) => run.total === personMs)?.steps}`,
    );

    // 4. Plans: a chunk of the full rescreen (hash joins) and one person (the lists' indexes).
    const scope = scopeSql(all, SOURCES);
    const chunk = (await nextChunk(sequelize, all, FIRST_EMPLOYEE_ID, DEFAULT_SCREENING_CHUNK_SIZE)) ?? {
      after: FIRST_EMPLOYEE_ID,
      upto: null,
    };
    console.log('\nEXPLAIN ANALYZE, the first chunk of the full rescreen (rerun, rolled back):');
    console.log(await explain(sequelize, screenSql(scope, 'hash'), { ...scope.bind, ...chunk }));
    const one = people[0] as { id: string; organization_id: string };
    const personScope = scopeSql(
      { kind: 'employees', organizationId: one.organization_id, employeeIds: [one.id] },
      SOURCES,
    );
    console.log("\nEXPLAIN ANALYZE, one person's rescreen (rolled back):");
    console.log(
      await explain(sequelize, screenSql(personScope, 'person'), {
        ...personScope.bind,
        after: FIRST_EMPLOYEE_ID,
        upto: null,
      }),
    );
  } finally {
    await stopTestStack();
  }
}

await main();
