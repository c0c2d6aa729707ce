import { z } from '@hono/zod-openapi';
import { QueryTypes } from 'sequelize';
import { isoTimestamp } from '../../db/sequelize';
import { type AppDeps, createRouter } from '../env';
import { orgRouteFor } from '../org-route';
import {
  decodeCursor,
  listSchema,
  nameMatchSql,
  nameOrderedPageSql,
  nameSearchSample,
  PageQuery,
  page,
} from '../paging';
import { ProblemError } from '../problem';
import { jsonResponse, problems, UuidParam } from '../schemas';

export const PatientSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    externalId: z.string().openapi({ description: 'MRN' }),
    firstName: z.string(),
    middleName: z.string().nullable(),
    lastName: z.string(),
    dateOfBirth: z.string(),
    sex: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    zip: z.string().nullable(),
    status: z.enum(['active', 'inactive']),
    lastImportId: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Patient');

interface PatientRow {
  id: string;
  organization_id: string;
  external_id: string;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  date_of_birth: string;
  sex: string | null;
  phone: string | null;
  email: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  status: 'active' | 'inactive';
  full_name_norm: string;
  last_import_id: string | null;
  created_at: Date;
  updated_at: Date;
}

function patientJson(row: PatientRow): z.infer<typeof PatientSchema> {
  return {
    id: row.id,
    organizationId: row.organization_id,
    externalId: row.external_id,
    firstName: row.first_name,
    middleName: row.middle_name,
    lastName: row.last_name,
    dateOfBirth: row.date_of_birth,
    sex: row.sex,
    phone: row.phone,
    email: row.email,
    address: row.address,
    city: row.city,
    state: row.state,
    zip: row.zip,
    status: row.status,
    lastImportId: row.last_import_id,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
  };
}

/** Patients are PHI: org admins only, and never logged. */
export function patientRoutes({ config, sequelize }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  return createRouter()
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/patients',
        tags: ['patients'],
        summary: 'Search patients by name (trigram) or exact MRN / email',
        request: {
          params: z.object({ orgId: UuidParam }),
          query: z.object({
            q: z.string().trim().min(1).max(200).optional(),
            status: z.enum(['active', 'inactive']).optional(),
            ...PageQuery,
          }),
        },
        responses: {
          200: jsonResponse(listSchema(PatientSchema), 'Patients'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { q, status, limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['text', 'uuid']);
        const where = ['p.organization_id = $org'];
        if (status) where.push('p.status = $status');
        if (q) {
          where.push(`(${nameMatchSql('p')} OR p.external_id = $q
            OR lower(p.email) = lower($q))`);
        }
        const rows = await sequelize.query<PatientRow>(
          nameOrderedPageSql('patients', 'p', where, { searching: Boolean(q), after: Boolean(after) }),
          {
            bind: {
              org: c.var.organization.id,
              limit: limit + 1,
              ...(status ? { status } : {}),
              ...(q ? { q, sample: await nameSearchSample(sequelize, 'patients') } : {}),
              ...(after ? { afterName: after[0], afterId: after[1] } : {}),
            },
            type: QueryTypes.SELECT,
          },
        );
        const result = page(rows, limit, (row) => [row.full_name_norm, row.id]);
        return c.json({ items: result.items.map(patientJson), nextCursor: result.nextCursor }, 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/patients/{id}',
        tags: ['patients'],
        summary: 'One patient',
        request: { params: z.object({ orgId: UuidParam, id: UuidParam }) },
        responses: {
          200: jsonResponse(PatientSchema, 'The patient'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const [row] = await sequelize.query<PatientRow>(
          'SELECT * FROM patients WHERE id = $1 AND organization_id = $2',
          { bind: [id, c.var.organization.id], type: QueryTypes.SELECT },
        );
        if (!row) throw new ProblemError(404, `Patient ${id} was not found.`);
        return c.json(patientJson(row), 200);
      },
    );
}
