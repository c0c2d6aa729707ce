import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { ExclusionStatus } from '../../../db/exclusion-status-sql';
import { type EmployeeSearchRow, findEmployee, searchEmployees } from '../../../db/people-store';
import { exclusionStatuses } from '../../../db/screening-store';
import { isoTimestamp } from '../../../lib/iso-timestamp';
import { employeesCsv } from '../../../services/csv-exports';
import {
  createEmployee,
  deactivateEmployee,
  type EmployeeFields,
  employeeFieldErrors,
  employeeNotFound,
  updateEmployee,
} from '../../../services/people';
import { accepted, acceptedBody } from '../../accepted';
import { csvDownload } from '../../csv-download';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { INVALID_REQUEST, problemResponse, zodFieldErrors } from '../../problem';
import { type EmployeeSchema, employeeRouteDefinitions } from './routes';

function employeeJson(
  row: EmployeeSearchRow,
  exclusionStatus: ExclusionStatus,
): z.infer<typeof EmployeeSchema> {
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
    otherNames: row.other_names ?? [],
    status: row.status,
    exclusionStatus,
    lastScreenedAt: row.last_screened_at === null ? null : isoTimestamp(row.last_screened_at),
    lastImportId: row.last_import_id,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
  };
}

/** The rows as JSON, each with its exclusion status (one statement for the page). */
async function employeesJson(
  sequelize: AppDeps['sequelize'],
  organizationId: string,
  rows: EmployeeSearchRow[],
) {
  const statuses = await exclusionStatuses(
    sequelize,
    organizationId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => employeeJson(row, statuses.get(row.id) ?? 'clear'));
}

async function oneEmployeeJson(sequelize: AppDeps['sequelize'], row: EmployeeSearchRow) {
  const statuses = await exclusionStatuses(sequelize, row.organization_id, [row.id]);
  return employeeJson(row, statuses.get(row.id) ?? 'clear');
}

const selfPath = (row: EmployeeSearchRow) => `/v1/organizations/${row.organization_id}/employees/${row.id}`;

/** A valid body's fields, other names as the roster's one cell (`;` between names); null clears them. */
function withOtherNamesText<T extends { otherNames?: string[] | null }>(
  body: T,
): Omit<T, 'otherNames'> & { otherNames?: string | null } {
  const { otherNames, ...rest } = body;
  if (otherNames === undefined) return rest;
  return { ...rest, otherNames: otherNames === null ? null : otherNames.join('; ') };
}

/** The body's text fields, as the row rules read them; other types have their schema error already. */
function textFields(body: unknown): EmployeeFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const fields = Object.fromEntries(
    Object.entries(body).filter(([, value]) => typeof value === 'string' || value === null),
  ) as EmployeeFields;
  // Other names travel as the roster's one cell (`;` between names), so both are checked by one rule.
  const otherNames = (body as { otherNames?: unknown }).otherNames;
  if (Array.isArray(otherNames) && otherNames.every((name) => typeof name === 'string'))
    fields.otherNames = otherNames.join('; ');
  return fields;
}

/**
 * The create route's validation hook: the schema's errors (a missing kind, a wrong type) and the
 * row rules' (an invalid NPI, a date of birth in the future) answer together, not one round each.
 */
function reportEveryEmployeeError(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
): Promise<Response> | undefined {
  if (result.success) return undefined;
  const own = zodFieldErrors(result.error, result.target === 'json' ? undefined : result.target);
  if (result.target !== 'json')
    return Promise.resolve(problemResponse(c, 422, INVALID_REQUEST, { errors: own }));
  // An empty or non-JSON body already has its schema error; the row rules then see no fields.
  return c.req
    .json()
    .catch(() => undefined)
    .then((body: unknown) => {
      const fields = textFields(body);
      const kind = fields.kind === 'caregiver' || fields.kind === 'caregivers' ? 'caregiver' : 'employee';
      const rules = employeeFieldErrors(kind, fields).filter(
        (rule) => !own.some((error) => error.path === rule.path),
      );
      return problemResponse(c, 422, INVALID_REQUEST, { errors: [...own, ...rules] });
    });
}

export function employeeRoutes({ config, sequelize, temporal }: AppDeps) {
  const routes = employeeRouteDefinitions(config.AUTH_JWT_SECRET);
  const deps = { config, sequelize, temporal };
  return createRouter()
    .openapi(routes.search, async (c) => {
      const { q, kind, status, npi, exclusionStatus, limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['text', 'uuid']);
      const rows = await searchEmployees(
        sequelize,
        c.var.organization.id,
        { q, kind, status, npi, exclusionStatus },
        { limit: limit + 1, after },
      );
      const result = page(rows, limit, (row) => [row.full_name_norm, row.id]);
      const items = await employeesJson(sequelize, c.var.organization.id, result.items);
      return c.json({ items, nextCursor: result.nextCursor }, 200);
    })
    .openapi(routes.exportCsv, (c) => {
      const organizationId = c.var.organization.id;
      return csvDownload(
        c,
        employeesCsv(sequelize, organizationId, c.req.valid('query')),
        `employees-${organizationId}.csv`,
      );
    })
    .openapi(
      routes.create,
      async (c) => {
        const { kind, ...fields } = c.req.valid('json');
        const { employee, workflowId } = await createEmployee(deps, {
          organizationId: c.var.organization.id,
          actorUserId: c.var.user.id,
          kind,
          fields: withOtherNamesText(fields),
        });
        const json = await oneEmployeeJson(sequelize, employee);
        return accepted(c, acceptedBody(config, json, workflowId, selfPath(employee)));
      },
      reportEveryEmployeeError,
    )
    .openapi(routes.get, async (c) => {
      const { id } = c.req.valid('param');
      const employee = await findEmployee(sequelize, c.var.organization.id, id);
      if (!employee) throw employeeNotFound(id);
      return c.json(await oneEmployeeJson(sequelize, employee), 200);
    })
    .openapi(routes.update, async (c) => {
      const { id } = c.req.valid('param');
      const { employee, workflowId } = await updateEmployee(deps, {
        organizationId: c.var.organization.id,
        actorUserId: c.var.user.id,
        id,
        fields: withOtherNamesText(c.req.valid('json')),
      });
      const json = await oneEmployeeJson(sequelize, employee);
      return accepted(c, acceptedBody(config, json, workflowId, selfPath(employee)));
    })
    .openapi(routes.deactivate, async (c) => {
      const { id } = c.req.valid('param');
      const employee = await deactivateEmployee(sequelize, {
        organizationId: c.var.organization.id,
        actorUserId: c.var.user.id,
        id,
      });
      return c.json(await oneEmployeeJson(sequelize, employee), 200);
    });
}
