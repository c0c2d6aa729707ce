import { z } from '@hono/zod-openapi';
import { AGREED_FIELDS, MATCH_REASONS } from '../../../domain/match-reasons';
import { MATCH_STATUSES, NOTE_MAX_LENGTH } from '../../../domain/match-review';
import { acceptedResponse } from '../../accepted';
import { IdempotencyHeaders, idempotentCreate } from '../../middleware/idempotency';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { csvResponse, jsonBody, jsonResponse, problems, UuidParam } from '../../schemas';
import { ExclusionRecordSchema } from '../exclusion-sources/schemas';

export const MatchExplanationSchema = z
  .object({
    personName: z
      .string()
      .optional()
      .openapi({ description: "The person's name compared (normalized, FIRST LAST); absent for npi" }),
    personNameIsPrimary: z
      .boolean()
      .optional()
      .openapi({ description: 'false when it is one of the other names' }),
    recordName: z
      .string()
      .optional()
      .openapi({ description: "The record's name compared (normalized, FIRST LAST); absent for npi" }),
    recordNameIsPrimary: z.boolean().optional().openapi({ description: 'false when it is an alias' }),
    agreed: z.array(z.enum(AGREED_FIELDS)).openapi({
      description:
        'What agreed: npi; first_name, last_name (equal after normalization); first_name_nickname; last_name_one_edit; names_swapped (first and last exchanged); date_of_birth; date_of_birth_day_month_swapped; middle_initial',
    }),
  })
  .openapi('MatchExplanation');

export const LeieRowSchema = z
  .object({
    exclusionKey: z.string(),
    lastname: z.string().nullable(),
    firstname: z.string().nullable(),
    midname: z.string().nullable(),
    busname: z.string().nullable(),
    general: z.string().nullable(),
    specialty: z.string().nullable(),
    upin: z.string().nullable(),
    npi: z.string().nullable(),
    dob: z.string().nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    zip: z.string().nullable(),
    excltype: z.string().nullable(),
    excldate: z.string().nullable(),
    reindate: z.string().nullable(),
    waiverdate: z.string().nullable(),
    wvrstate: z.string().nullable(),
  })
  .openapi('LeieRow');

export const ExclusionMatchSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    employeeId: z.uuid(),
    source: z
      .string()
      .openapi({ description: 'The exclusion list matched: leie, sam, pa_medicheck, ca_medi_cal' }),
    exclusionKey: z.string(),
    reason: z.enum(MATCH_REASONS).openapi({
      description:
        "Why it matched (docs/spec.md §9): npi 1.0 same NPI; name_dob 0.95 primary names and DOB; alias_dob 0.9 another name (the person's other names, the record's aliases) and DOB; nickname_dob 0.85 last name equal, first names related in the nickname table, DOB; fuzzy_dob 0.8 DOB and a last name one edit apart, first and last swapped, or DOB with day and month swapped; name 0.6 names equal with a DOB missing on a side",
    }),
    score: z.number(),
    explanation: MatchExplanationSchema.nullable().openapi({
      description: 'Which names and fields agreed; null on matches found before tolerant matching',
    }),
    status: z.enum(MATCH_STATUSES),
    resolution: z.string().nullable().openapi({
      description:
        'For resolved matches: removed_from_list, reinstated, no_longer_matches or resolved_by_reviewer.',
    }),
    firstDetectedAt: z.string(),
    lastSeenAt: z.string(),
    reviewedBy: z.uuid().nullable(),
    reviewedAt: z.string().nullable(),
    note: z.string().nullable(),
    alertedAt: z.string().nullable(),
    employee: z.object({
      id: z.uuid(),
      kind: z.enum(['employee', 'caregiver']),
      externalId: z.string().nullable(),
      firstName: z.string(),
      middleName: z.string().nullable(),
      lastName: z.string(),
      dateOfBirth: z.string().nullable(),
      npi: z.string().nullable(),
      status: z
        .enum(['active', 'inactive'])
        .openapi({ description: 'Inactive people keep their open matches, marked by this status.' }),
    }),
    exclusion: LeieRowSchema.nullable().openapi({
      description: 'The LEIE row as last imported (source `leie`); null once it has left the list.',
    }),
    record: ExclusionRecordSchema.nullable().openapi({
      description:
        'The record of a non-LEIE list as last imported; null for the LEIE and once it has left its list.',
    }),
    waiver: z
      .object({ date: z.string().nullable(), state: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The waiver on the LEIE row (WAIVERDATE, WVRSTATE), if any.' }),
  })
  .openapi('ExclusionMatch');

export const MatchEventSchema = z
  .object({
    at: z.string(),
    actor: z
      .object({ userId: z.uuid().nullable(), name: z.string().nullable(), email: z.string().nullable() })
      .nullable()
      .openapi({
        description: 'The reviewer; null for the system (a screening opened, reopened or resolved it)',
      }),
    from: z.enum(MATCH_STATUSES).nullable().openapi({ description: 'null for the detection' }),
    to: z.enum(MATCH_STATUSES),
    note: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .openapi('ExclusionMatchEvent');

const ExclusionMatchWithHistorySchema = ExclusionMatchSchema.extend({
  history: z.array(MatchEventSchema).openapi({ description: 'Every change of status, oldest first' }),
}).openapi('ExclusionMatchWithHistory');

const ReviewSchema = z
  .object({
    status: z.enum(MATCH_STATUSES),
    note: z
      .string()
      .max(NOTE_MAX_LENGTH)
      .nullable()
      .optional()
      .openapi({
        description: `Required (not blank) to confirm, dismiss, resolve or reopen a match; at most ${NOTE_MAX_LENGTH} characters`,
      }),
  })
  .openapi('ExclusionMatchReview');

export const ScreeningRunSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    trigger: z.enum(['person_change', 'import', 'source_update', 'manual', 'monthly']),
    status: z.enum(['running', 'succeeded', 'incomplete', 'failed']).openapi({
      description: '`incomplete`: no exclusion list was loaded, so nobody was compared (see `error`)',
    }),
    peopleScreened: z.number().int().nullable().openapi({ description: 'Active people in scope' }),
    listVersions: z
      .array(z.object({ source: z.string(), checkId: z.uuid() }))
      .openapi({ description: 'The list version (check id) of each source screened against' }),
    matchesOpened: z.number().int().nullable(),
    matchesResolved: z.number().int().nullable(),
    error: z.string().nullable(),
    alert: z
      .object({
        state: z.enum(['retrying', 'failed']),
        reason: z.string(),
        since: z.string(),
      })
      .nullable()
      .openapi({
        description:
          'docs/spec.md §12: `retrying` while the run has been going for 30 minutes (a dependency is down; platform admins were emailed), `failed` once it failed; null otherwise',
      }),
    workflowId: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    links: z.object({ self: z.string(), temporalUi: z.url() }),
  })
  .openapi('ExclusionScreening');

/** The 202 of a rescreen: the run requested (or joined), as GET …/exclusion-screenings/{id} shows it. */
const ScreeningAcceptedSchema = ScreeningRunSchema.extend({
  kind: z.literal('organization').openapi({ description: 'What was rescreened: the whole organization' }),
}).openapi('ExclusionScreeningAccepted');

const MatchListSchema = listSchema(ExclusionMatchSchema)
  .extend({
    screening: z
      .object({
        status: z.enum(['screened', 'not_screened']),
        reason: z.string().nullable().openapi({ description: 'Why the organization is not screened' }),
        lastScreeningId: z.uuid().nullable(),
        lastScreenedAt: z.string().nullable(),
      })
      .openapi({
        description:
          'Whether an empty list means "clear": `not_screened` until a screening against a loaded list covered the organization',
      }),
  })
  .openapi('ExclusionMatchList');

const orgParams = z.object({ orgId: UuidParam });

export function exclusionMatchRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  return {
    list: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/exclusion-matches',
      tags: ['exclusion screening'],
      summary: 'Possible LEIE matches of the organization’s people, newest first, with the LEIE row and why',
      request: {
        params: orgParams,
        query: z.object({ ...PageQuery, status: z.enum(MATCH_STATUSES).optional() }),
      },
      responses: {
        200: jsonResponse(MatchListSchema, 'Exclusion matches, and whether the organization was screened'),
        422: problems[422],
      },
    }),
    exportCsv: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/exclusion-matches.csv',
      tags: ['exclusion screening'],
      summary:
        'The matches as CSV, newest first, streamed (cells starting with = + - @ tab CR are neutralized)',
      request: { params: orgParams, query: z.object({ status: z.enum(MATCH_STATUSES).optional() }) },
      responses: {
        200: csvResponse(
          'One row per match: status, reason, score, review, the person, and the list (`source`) and its record',
        ),
        422: problems[422],
      },
    }),
    get: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/exclusion-matches/{id}',
      tags: ['exclusion screening'],
      summary: 'One match with its history: every change of status (at, actor, from, to, note)',
      request: { params: orgParams.extend({ id: UuidParam }) },
      responses: {
        200: jsonResponse(ExclusionMatchWithHistorySchema, 'The match and its history'),
        422: problems[422],
      },
    }),
    review: orgRoute('admin', {
      method: 'patch',
      path: '/v1/organizations/{orgId}/exclusion-matches/{id}',
      tags: ['exclusion screening'],
      summary: 'Move a match along its review: under_review, confirmed, dismissed, resolved, or reopen it',
      description: [
        'Allowed moves: open → under_review, confirmed, dismissed; under_review → open, confirmed, dismissed;',
        'confirmed → open, resolved; dismissed → open; resolved → open. Any other move is 409 naming the allowed ones.',
        'confirmed, dismissed and resolved need a non-empty note, and so does reopening a closed match (422 on `note`).',
        'Every change is an event of the match’s history and an audit-log entry (without the note).',
        'Decisions survive rescreens and list reloads: a rescreen only reopens a match the screening itself resolved.',
      ].join(' '),
      request: { params: orgParams.extend({ id: UuidParam }), body: jsonBody(ReviewSchema) },
      responses: {
        200: jsonResponse(ExclusionMatchWithHistorySchema, 'The match, now changed, with its history'),
        409: problems[409],
        422: problems[422],
      },
    }),
    rescreen: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/exclusion-screenings',
      tags: ['exclusion screening'],
      summary: 'Rescreen every active person of the organization against the LEIE now',
      description:
        'While a rescreen of the organization is requested or running, a second request answers with that one. ' +
        'Accepted while the workflow service is down: the start waits in the outbox and runs when it answers (docs/spec.md §12).',
      middleware: [idempotentCreate()],
      request: { params: orgParams, headers: IdempotencyHeaders },
      responses: {
        202: acceptedResponse(ScreeningAcceptedSchema, 'The rescreen was started'),
        503: problems[503],
      },
    }),
    screening: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/exclusion-screenings/{id}',
      tags: ['exclusion screening'],
      summary: 'One screening run: status, people screened, list versions used, matches opened',
      request: { params: orgParams.extend({ id: UuidParam }) },
      responses: {
        200: jsonResponse(ScreeningRunSchema, 'The screening run'),
        422: problems[422],
      },
    }),
  };
}
