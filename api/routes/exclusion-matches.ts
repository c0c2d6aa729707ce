import { z } from '@hono/zod-openapi';
import { QueryTypes, type Sequelize } from 'sequelize';
import { recordAudit } from '../../db/audit-store';
import {
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
import { type AppDeps, createRouter } from '../env';
import { orgRouteFor } from '../org-route';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { ProblemError } from '../problem';
import { jsonBody, jsonResponse, problems, UuidParam } from '../schemas';

const STATUSES = ['open', 'confirmed', 'dismissed', 'resolved'] as const;
const REVIEW_STATUSES = ['confirmed', 'dismissed'] as const;

const LeieRowSchema = z
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

const ExclusionMatchSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    employeeId: z.uuid(),
    exclusionKey: z.string(),
    reason: z.enum(['npi', 'name_dob', 'name']),
    score: z.number(),
    status: z.enum(STATUSES),
    resolution: z
      .string()
      .nullable()
      .openapi({ description: 'For resolved matches: removed_from_list, reinstated or no_longer_matches.' }),
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
      description: 'The LEIE row as last imported; null once it has left the list.',
    }),
    waiver: z
      .object({ date: z.string().nullable(), state: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The waiver on the LEIE row (WAIVERDATE, WVRSTATE), if any.' }),
  })
  .openapi('ExclusionMatch');

const ReviewSchema = z
  .object({
    status: z.enum(REVIEW_STATUSES),
    note: z.string().max(2000).nullable().optional(),
  })
  .openapi('ExclusionMatchReview');

const ScreeningAcceptedSchema = z
  .object({ organizationId: z.uuid(), kind: z.literal('organization'), ...AcceptedFields })
  .openapi('ExclusionScreeningAccepted');

interface MatchRow {
  id: string;
  organization_id: string;
  employee_id: string;
  exclusion_key: string;
  reason: 'npi' | 'name_dob' | 'name';
  score: string;
  status: (typeof STATUSES)[number];
  resolution: string | null;
  first_detected_at: Date;
  last_seen_at: Date;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  note: string | null;
  alerted_at: Date | null;
  cursor_at: string;
  e_kind: 'employee' | 'caregiver';
  e_external_id: string | null;
  e_first_name: string;
  e_middle_name: string | null;
  e_last_name: string;
  e_date_of_birth: string | null;
  e_npi: string | null;
  e_status: 'active' | 'inactive';
  x: Record<string, string | null> | null;
}

const SELECT_MATCHES = `
SELECT m.id, m.organization_id, m.employee_id, m.exclusion_key, m.reason, m.score, m.status, m.resolution,
  m.first_detected_at, m.last_seen_at, m.reviewed_by, m.reviewed_at, m.note, m.alerted_at,
  m.first_detected_at::text AS cursor_at,
  e.kind AS e_kind, e.external_id AS e_external_id, e.first_name AS e_first_name,
  e.middle_name AS e_middle_name, e.last_name AS e_last_name, e.date_of_birth AS e_date_of_birth,
  e.npi AS e_npi, e.status AS e_status,
  CASE WHEN x.id IS NULL THEN NULL ELSE json_build_object(
    'exclusionKey', x.exclusion_key, 'lastname', x.lastname, 'firstname', x.firstname, 'midname', x.midname,
    'busname', x.busname, 'general', x.general, 'specialty', x.specialty, 'upin', x.upin, 'npi', x.npi,
    'dob', x.dob, 'address', x.address, 'city', x.city, 'state', x.state, 'zip', x.zip,
    'excltype', x.excltype, 'excldate', x.excldate, 'reindate', x.reindate,
    'waiverdate', x.waiverdate, 'wvrstate', x.wvrstate) END AS x
FROM exclusion_matches m
JOIN employees e ON e.id = m.employee_id
LEFT JOIN oig_employees_exclusion x ON x.exclusion_key = m.exclusion_key`;

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function serialize(row: MatchRow) {
  const exclusion = row.x as z.infer<typeof LeieRowSchema> | null;
  return {
    id: row.id,
    organizationId: row.organization_id,
    employeeId: row.employee_id,
    exclusionKey: row.exclusion_key,
    reason: row.reason,
    score: Number(row.score),
    status: row.status,
    resolution: row.resolution,
    firstDetectedAt: row.first_detected_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    reviewedBy: row.reviewed_by,
    reviewedAt: iso(row.reviewed_at),
    note: row.note,
    alertedAt: iso(row.alerted_at),
    employee: {
      id: row.employee_id,
      kind: row.e_kind,
      externalId: row.e_external_id,
      firstName: row.e_first_name,
      middleName: row.e_middle_name,
      lastName: row.e_last_name,
      dateOfBirth: row.e_date_of_birth,
      npi: row.e_npi,
      status: row.e_status,
    },
    exclusion,
    waiver:
      exclusion && (exclusion.waiverdate || exclusion.wvrstate)
        ? { date: exclusion.waiverdate, state: exclusion.wvrstate }
        : null,
  };
}

async function findMatch(sequelize: Sequelize, organizationId: string, id: string) {
  const [row] = await sequelize.query<MatchRow>(
    `${SELECT_MATCHES} WHERE m.organization_id = :orgId AND m.id = :id`,
    {
      replacements: { orgId: organizationId, id },
      type: QueryTypes.SELECT,
    },
  );
  if (!row) throw new ProblemError(404, `Exclusion match ${id} was not found.`);
  return row;
}

export function exclusionMatchRoutes({ config, sequelize, temporal }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  const orgParams = z.object({ orgId: UuidParam });
  return createRouter()
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/exclusion-matches',
        tags: ['exclusion screening'],
        summary:
          'Possible LEIE matches of the organization’s people, newest first, with the LEIE row and why',
        request: {
          params: orgParams,
          query: z.object({ ...PageQuery, status: z.enum(STATUSES).optional() }),
        },
        responses: {
          200: jsonResponse(listSchema(ExclusionMatchSchema), 'Exclusion matches'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { limit, cursor, status } = c.req.valid('query');
        const before = decodeCursor(cursor, ['timestamp', 'uuid']);
        // The cursor keeps first_detected_at as Postgres text, so microseconds survive the round trip.
        const rows = await sequelize.query<MatchRow>(
          `${SELECT_MATCHES}
           WHERE m.organization_id = :orgId
             ${status ? 'AND m.status = :status' : ''}
             ${before ? 'AND (m.first_detected_at, m.id) < (CAST(:beforeAt AS timestamptz), CAST(:beforeId AS uuid))' : ''}
           ORDER BY m.first_detected_at DESC, m.id DESC
           LIMIT :limit`,
          {
            replacements: {
              orgId: c.var.organization.id,
              status: status ?? null,
              beforeAt: before?.[0] ?? null,
              beforeId: before?.[1] ?? null,
              limit: limit + 1,
            },
            type: QueryTypes.SELECT,
          },
        );
        const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
        return c.json({ items: items.map(serialize), nextCursor }, 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'patch',
        path: '/v1/organizations/{orgId}/exclusion-matches/{id}',
        tags: ['exclusion screening'],
        summary: 'Confirm or dismiss a match, with a note (audited)',
        description:
          'A dismissed match is never reopened by the same LEIE row. Resolved matches (the exclusion left the list, was reinstated, or the person no longer matches) cannot be reviewed: 409.',
        request: { params: orgParams.extend({ id: UuidParam }), body: jsonBody(ReviewSchema) },
        responses: {
          200: jsonResponse(ExclusionMatchSchema, 'The reviewed match'),
          409: problems[409],
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { status, note } = c.req.valid('json');
        const organizationId = c.var.organization.id;
        await sequelize.transaction(async (transaction) => {
          const [current] = await sequelize.query<{ status: string; reason: string }>(
            'SELECT status, reason FROM exclusion_matches WHERE organization_id = :orgId AND id = :id FOR UPDATE',
            { replacements: { orgId: organizationId, id }, type: QueryTypes.SELECT, transaction },
          );
          if (!current) throw new ProblemError(404, `Exclusion match ${id} was not found.`);
          if (current.status === 'resolved') {
            throw new ProblemError(
              409,
              'This match is resolved (its exclusion no longer applies); it cannot be reviewed.',
            );
          }
          await sequelize.query(
            `UPDATE exclusion_matches
                SET status = :status, note = :note, reviewed_by = :userId, reviewed_at = now(), updated_at = now()
              WHERE id = :id`,
            { replacements: { status, note: note ?? null, userId: c.var.user.id, id }, transaction },
          );
          await recordAudit(transaction, {
            actorUserId: c.var.user.id,
            action: `exclusion_match.${status}`,
            entityType: 'exclusion_match',
            entityId: id,
            organizationId,
            // The note is free text and may name people: it stays on the match, not in the audit log.
            details: {
              previousStatus: current.status,
              status,
              reason: current.reason,
              withNote: Boolean(note),
            },
          });
        });
        return c.json(serialize(await findMatch(sequelize, organizationId, id)), 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/exclusion-screenings',
        tags: ['exclusion screening'],
        summary: 'Rescreen every active person of the organization against the LEIE now',
        description:
          'While a rescreen of the organization is running, a second request answers with the running one.',
        request: { params: orgParams },
        responses: {
          202: jsonResponse(ScreeningAcceptedSchema, 'The rescreen was started'),
          503: problems[503],
        },
      }),
      async (c) => {
        const organizationId = c.var.organization.id;
        const workflowId = screeningWorkflowId('organization', organizationId);
        const scope: ScreeningScope = { kind: 'organization', organizationId };
        try {
          await temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId,
            args: [scope],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          });
        } catch (error) {
          c.var.logger.error({ err: error, organizationId }, 'could not start the exclusion screening');
          throw new ProblemError(503, 'The workflow service is unavailable; try again shortly.');
        }
        return c.json(
          acceptedBody(
            config,
            { organizationId, kind: 'organization' as const },
            workflowId,
            `/v1/organizations/${organizationId}/exclusion-matches`,
          ),
          202,
        );
      },
    );
}
