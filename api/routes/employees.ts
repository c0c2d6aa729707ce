import { z } from '@hono/zod-openapi';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { QueryTypes, type Sequelize } from 'sequelize';
import { recordAudit } from '../../db/audit-store';
import { isoTimestamp, rawQuery } from '../../db/sequelize';
import { validateRosterRow } from '../../domain/roster-row';
import type { Config } from '../../lib/config';
import {
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
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
import { jsonBody, jsonResponse, problems, UuidParam } from '../schemas';

export const EmployeeSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    kind: z.enum(['employee', 'caregiver']),
    externalId: z.string().nullable(),
    firstName: z.string(),
    middleName: z.string().nullable(),
    lastName: z.string(),
    dateOfBirth: z.string().nullable(),
    npi: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    title: z.string().nullable(),
    hireDate: z.string().nullable(),
    status: z.enum(['active', 'inactive']),
    lastImportId: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Employee');

export interface EmployeeRow {
  id: string;
  organization_id: string;
  kind: 'employee' | 'caregiver';
  external_id: string | null;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  date_of_birth: string | null;
  npi: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  hire_date: string | null;
  status: 'active' | 'inactive';
  full_name_norm: string;
  last_import_id: string | null;
  /** Text when read with `timestampsAsText` (the search). */
  created_at: Date | string;
  updated_at: Date | string;
}

/** The columns of an EmployeeRow: what the search reads (not the other normalized names). */
const ROW_COLUMNS = [
  'id',
  'organization_id',
  'kind',
  'external_id',
  'first_name',
  'middle_name',
  'last_name',
  'date_of_birth',
  'npi',
  'email',
  'phone',
  'title',
  'hire_date',
  'status',
  'full_name_norm',
  'last_import_id',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof EmployeeRow)[];

export function employeeJson(row: EmployeeRow): z.infer<typeof EmployeeSchema> {
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: row.kind,
    externalId: row.external_id,
    firstName: row.first_name,
    middleName: row.middle_name,
    lastName: row.last_name,
    dateOfBirth: row.date_of_birth,
    npi: row.npi,
    email: row.email,
    phone: row.phone,
    title: row.title,
    hireDate: row.hire_date,
    status: row.status,
    lastImportId: row.last_import_id,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
  };
}

const optionalText = (max: number) => z.string().max(max).nullable().optional();
const EditableFields = {
  externalId: optionalText(200),
  firstName: z.string().min(1).max(200),
  middleName: optionalText(200),
  lastName: z.string().min(1).max(200),
  dateOfBirth: optionalText(10).openapi({ example: '1980-04-01' }),
  npi: optionalText(10),
  email: optionalText(320),
  phone: optionalText(50),
  title: optionalText(200),
  hireDate: optionalText(10),
  status: z.enum(['active', 'inactive']).optional(),
};
const CreateSchema = z
  .object({ kind: z.enum(['employee', 'caregiver']), ...EditableFields })
  .openapi('CreateEmployee');
const UpdateSchema = z
  .object({
    ...EditableFields,
    firstName: EditableFields.firstName.optional(),
    lastName: EditableFields.lastName.optional(),
  })
  .openapi('UpdateEmployee');

const COLUMNS = {
  externalId: 'external_id',
  firstName: 'first_name',
  middleName: 'middle_name',
  lastName: 'last_name',
  dateOfBirth: 'date_of_birth',
  npi: 'npi',
  email: 'email',
  phone: 'phone',
  title: 'title',
  hireDate: 'hire_date',
} as const;
const camel = Object.fromEntries(Object.entries(COLUMNS).map(([k, v]) => [v, k])) as Record<string, string>;

/** The same row rules as an import (SPEC §4.2); violations answer 422 naming the field. */
function validatedRecord(kind: 'employee' | 'caregiver', fields: Record<string, string | null | undefined>) {
  const cells: Record<string, string | null> = {};
  for (const [field, column] of Object.entries(COLUMNS)) cells[column] = fields[field] ?? null;
  const today = new Date().toISOString().slice(0, 10);
  const result = validateRosterRow(kind === 'employee' ? 'employees' : 'caregivers', cells, { today });
  if (!result.ok) {
    throw new ProblemError(422, 'The employee is not valid; see errors for each field.', {
      errors: result.errors.map((e) => ({ path: camel[e.column ?? ''] ?? '(body)', message: e.message })),
    });
  }
  return result.record;
}

const WRITE_COLUMNS = Object.values(COLUMNS);
// full_name_norm is generated from these two (migration 1000).
const normalized = `coalesce(ale_normalize_name($first), ''), coalesce(ale_normalize_name($last), '')`;

function bindRecord(record: Record<string, string | null>) {
  return Object.fromEntries(WRITE_COLUMNS.map((c) => [c, record[c] ?? null]));
}

const isUniqueViolation = (error: unknown) =>
  (error as { name?: string }).name === 'SequelizeUniqueConstraintError' ||
  (error as { original?: { code?: string } }).original?.code === '23505';

const duplicate = () =>
  new ProblemError(
    409,
    'Another employee of this kind already has this externalId (or email, when there is no externalId).',
  );

/** Starts the screening of one person at this version; the same version never starts twice. */
async function screenEmployee(temporal: Client, config: Config, row: EmployeeRow): Promise<string> {
  const workflowId = screeningWorkflowId('employees', `${row.id}-${new Date(row.updated_at).getTime()}`);
  const scope: ScreeningScope = {
    kind: 'employees',
    organizationId: row.organization_id,
    employeeIds: [row.id],
  };
  try {
    await temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [scope],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}

async function findEmployee(sequelize: Sequelize, organizationId: string, id: string) {
  const [row] = await sequelize.query<EmployeeRow>(
    'SELECT * FROM employees WHERE id = $1 AND organization_id = $2',
    { bind: [id, organizationId], type: QueryTypes.SELECT },
  );
  if (!row) throw new ProblemError(404, `Employee ${id} was not found.`);
  return row;
}

const SearchQuery = z.object({
  q: z.string().trim().min(1).max(200).optional().openapi({
    description: 'Name (trigram substring on the normalized full name), or an exact externalId, email or NPI',
  }),
  kind: z.enum(['employee', 'caregiver']).optional(),
  status: z.enum(['active', 'inactive']).optional(),
  npi: z
    .string()
    .regex(/^\d{10}$/)
    .optional(),
  ...PageQuery,
});

/**
 * Search: `q` matches the normalized full name by substring (pg_trgm GIN index) or an exact
 * externalId / email / NPI; results are ordered by (full_name_norm, id), the keyset of the cursor.
 */
export function searchEmployeesSql(filters: {
  q?: string;
  kind?: string;
  status?: string;
  npi?: string;
  after?: boolean;
}) {
  const where = ['e.organization_id = $org'];
  if (filters.kind) where.push('e.kind = $kind');
  if (filters.status) where.push('e.status = $status');
  if (filters.npi) where.push('e.npi = $npi');
  if (filters.q) {
    where.push(`(${nameMatchSql('e')} OR e.external_id = $q
      OR lower(e.email) = lower($q) OR e.npi = $q)`);
  }
  return nameOrderedPageSql('employees', 'e', where, {
    searching: Boolean(filters.q),
    after: Boolean(filters.after),
    columns: ROW_COLUMNS.map((column) => `e.${column}`).join(', '),
  });
}

export function employeeRoutes({ config, sequelize, temporal }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  const selfPath = (row: EmployeeRow) => `/v1/organizations/${row.organization_id}/employees/${row.id}`;
  const Params = z.object({ orgId: UuidParam, id: UuidParam });
  const Accepted = EmployeeSchema.extend(AcceptedFields).openapi('EmployeeAccepted');

  return createRouter()
    .openapi(
      orgRoute('member', {
        method: 'get',
        path: '/v1/organizations/{orgId}/employees',
        tags: ['employees'],
        summary: 'Search employees and caregivers (keyset pages ordered by normalized name)',
        request: { params: z.object({ orgId: UuidParam }), query: SearchQuery },
        responses: {
          200: jsonResponse(listSchema(EmployeeSchema), 'Employees'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { q, kind, status, npi, limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['text', 'uuid']);
        // Straight through pg: rows are mapped once, by employeeJson (no model instances).
        const rows = await rawQuery<EmployeeRow>(
          sequelize,
          searchEmployeesSql({ q, kind, status, npi, after: !!after }),
          {
            org: c.var.organization.id,
            limit: limit + 1,
            ...(kind ? { kind } : {}),
            ...(status ? { status } : {}),
            ...(npi ? { npi } : {}),
            ...(q ? { q, sample: await nameSearchSample(sequelize, 'employees') } : {}),
            ...(after ? { afterName: after[0], afterId: after[1] } : {}),
          },
          // The rows go straight to JSON: their timestamps need no Date on the way.
          { prepare: true, timestampsAsText: true },
        );
        const result = page(rows, limit, (row) => [row.full_name_norm, row.id]);
        return c.json({ items: result.items.map(employeeJson), nextCursor: result.nextCursor }, 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/employees',
        tags: ['employees'],
        summary: 'Add an employee or caregiver by hand; starts their exclusion screening',
        request: { params: z.object({ orgId: UuidParam }), body: jsonBody(CreateSchema) },
        responses: {
          202: jsonResponse(Accepted, 'Created; screening started'),
          409: problems[409],
          422: problems[422],
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const record = validatedRecord(body.kind, body);
        let row: EmployeeRow | undefined;
        try {
          [row] = await sequelize.query<EmployeeRow>(
            `INSERT INTO employees (organization_id, kind, ${WRITE_COLUMNS.join(', ')}, status,
               first_name_norm, last_name_norm)
             VALUES ($org, $kind, ${WRITE_COLUMNS.map((col) => `$${col}`).join(', ')}, $status, ${normalized})
             RETURNING *`,
            {
              bind: {
                org: c.var.organization.id,
                kind: body.kind,
                status: body.status ?? 'active',
                first: record.first_name,
                last: record.last_name,
                ...bindRecord(record),
              },
              type: QueryTypes.SELECT,
            },
          );
        } catch (error) {
          if (isUniqueViolation(error)) throw duplicate();
          throw error;
        }
        if (!row) throw new Error('INSERT … RETURNING returned no row');
        await recordAudit(sequelize, {
          actorUserId: c.var.user.id,
          action: 'employee.created',
          entityType: 'employee',
          entityId: row.id,
          organizationId: row.organization_id,
        });
        const workflowId = await screenEmployee(temporal, config, row);
        return c.json(acceptedBody(config, employeeJson(row), workflowId, selfPath(row)), 202);
      },
    )
    .openapi(
      orgRoute('member', {
        method: 'get',
        path: '/v1/organizations/{orgId}/employees/{id}',
        tags: ['employees'],
        summary: 'One employee or caregiver',
        request: { params: Params },
        responses: {
          200: jsonResponse(EmployeeSchema, 'The employee'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        return c.json(employeeJson(await findEmployee(sequelize, c.var.organization.id, id)), 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'patch',
        path: '/v1/organizations/{orgId}/employees/{id}',
        tags: ['employees'],
        summary: 'Change an employee (null clears a field); starts their exclusion screening',
        request: { params: Params, body: jsonBody(UpdateSchema) },
        responses: {
          202: jsonResponse(Accepted, 'Updated; screening started'),
          409: problems[409],
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const body = c.req.valid('json');
        const current = await findEmployee(sequelize, c.var.organization.id, id);
        const merged: Record<string, string | null | undefined> = {};
        for (const [field, column] of Object.entries(COLUMNS)) {
          const given = (body as Record<string, string | null | undefined>)[field];
          merged[field] =
            given === undefined ? (current[column as keyof EmployeeRow] as string | null) : given;
        }
        const record = validatedRecord(current.kind, merged);
        let row: EmployeeRow | undefined;
        try {
          [row] = await sequelize.query<EmployeeRow>(
            `UPDATE employees SET ${WRITE_COLUMNS.map((col) => `${col} = $${col}`).join(', ')}, status = $status,
               (first_name_norm, last_name_norm) = (SELECT ${normalized}), updated_at = now()
             WHERE id = $id AND organization_id = $org RETURNING *`,
            {
              bind: {
                id,
                org: c.var.organization.id,
                status: body.status ?? current.status,
                first: record.first_name,
                last: record.last_name,
                ...bindRecord(record),
              },
              type: QueryTypes.SELECT,
            },
          );
        } catch (error) {
          if (isUniqueViolation(error)) throw duplicate();
          throw error;
        }
        if (!row) throw new ProblemError(404, `Employee ${id} was not found.`);
        await recordAudit(sequelize, {
          actorUserId: c.var.user.id,
          action: 'employee.updated',
          entityType: 'employee',
          entityId: row.id,
          organizationId: row.organization_id,
          details: { fields: Object.keys(body) },
        });
        const workflowId = await screenEmployee(temporal, config, row);
        return c.json(acceptedBody(config, employeeJson(row), workflowId, selfPath(row)), 202);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'delete',
        path: '/v1/organizations/{orgId}/employees/{id}',
        tags: ['employees'],
        summary: 'Mark an employee inactive (the row and its exclusion-match history are kept)',
        request: { params: Params },
        responses: {
          200: jsonResponse(EmployeeSchema, 'The employee, now inactive'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const [row] = await sequelize.query<EmployeeRow>(
          `UPDATE employees SET status = 'inactive',
             updated_at = CASE WHEN status = 'inactive' THEN updated_at ELSE now() END
           WHERE id = $1 AND organization_id = $2 RETURNING *`,
          { bind: [id, c.var.organization.id], type: QueryTypes.SELECT },
        );
        if (!row) throw new ProblemError(404, `Employee ${id} was not found.`);
        await recordAudit(sequelize, {
          actorUserId: c.var.user.id,
          action: 'employee.deactivated',
          entityType: 'employee',
          entityId: row.id,
          organizationId: row.organization_id,
        });
        return c.json(employeeJson(row), 200);
      },
    );
}
