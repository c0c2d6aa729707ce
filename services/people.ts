import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import {
  deactivateEmployee as deactivateEmployeeRow,
  EMPLOYEE_RECORD_COLUMNS,
  type EmployeeRow,
  findEmployee,
  insertEmployee,
  updateEmployee as updateEmployeeRow,
} from '../db/people-store';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import { type RowError, validateRosterRow } from '../domain/roster-row';
import { recordEmployeeScreening, type ScreeningDeps } from './screenings';
import { deliverRecordedIntent } from './workflow-outbox';

type RecordColumn = (typeof EMPLOYEE_RECORD_COLUMNS)[number];
type Status = 'active' | 'inactive';

/** A person's record as the API names its fields (`externalId` for `external_id`), and their status. */
export type EmployeeFields = { status?: Status } & Partial<Record<string, string | null | undefined>>;

/** The API's name of each record column. */
const FIELDS = Object.fromEntries(
  EMPLOYEE_RECORD_COLUMNS.map((column) => [
    column,
    column.replace(/_(.)/g, (_, c: string) => c.toUpperCase()),
  ]),
) as Record<RecordColumn, string>;
const FIELD_OF_COLUMN = FIELDS as Record<string, string>;

/** The same row rules as an import (docs/spec.md §4.2), messages naming the API's fields. */
function checkRecord(kind: 'employee' | 'caregiver', fields: EmployeeFields) {
  const cells: Record<string, string | null> = {};
  for (const column of EMPLOYEE_RECORD_COLUMNS) cells[column] = fields[FIELDS[column]] ?? null;
  const today = new Date().toISOString().slice(0, 10);
  return validateRosterRow(kind === 'employee' ? 'employees' : 'caregivers', cells, {
    today,
    fieldName: (column) => FIELD_OF_COLUMN[column] ?? column,
  });
}

const fieldErrors = (errors: RowError[]) =>
  errors.map((e) => ({ path: FIELD_OF_COLUMN[e.column ?? ''] ?? '(body)', message: e.message }));

/** What the row rules say about a person's fields, each error at its API field (`dateOfBirth`). */
export function employeeFieldErrors(kind: 'employee' | 'caregiver', fields: EmployeeFields) {
  const result = checkRecord(kind, fields);
  return result.ok ? [] : fieldErrors(result.errors);
}

/** The validated record; violations answer 422 naming the field. */
function validatedRecord(kind: 'employee' | 'caregiver', fields: EmployeeFields) {
  const result = checkRecord(kind, fields);
  if (!result.ok) {
    throw new InvalidInputError(
      'The employee is not valid; see errors for each field.',
      fieldErrors(result.errors),
    );
  }
  return result.record;
}

export interface PeopleDeps extends ScreeningDeps {
  sequelize: Sequelize;
}

export interface ScreenedEmployee {
  employee: EmployeeRow;
  /** The exclusion screening started for this version of the person. */
  workflowId: string;
}

export function employeeNotFound(id: string) {
  return new NotFoundError(`Employee ${id} was not found.`);
}

/** Adds a person by hand (validated like an imported row) and starts their exclusion screening. */
export async function createEmployee(
  deps: PeopleDeps,
  input: {
    organizationId: string;
    actorUserId: string;
    kind: 'employee' | 'caregiver';
    fields: EmployeeFields;
  },
): Promise<ScreenedEmployee> {
  const record = validatedRecord(input.kind, input.fields);
  const screened = await withWorkflowIntents(deps.sequelize, async (tx) => {
    const employee = await insertEmployee(tx, {
      organizationId: input.organizationId,
      kind: input.kind,
      status: input.fields.status ?? 'active',
      record,
    });
    await recordAudit(tx, {
      actorUserId: input.actorUserId,
      action: 'employee.created',
      entityType: 'employee',
      entityId: employee.id,
      organizationId: employee.organization_id,
    });
    return { employee, ...(await recordEmployeeScreening(tx, deps.config, employee)) };
  });
  await deliverRecordedIntent(deps, screened.recorded);
  return { employee: screened.employee, workflowId: screened.workflowId };
}

/**
 * Changes a person: a field given replaces it (null clears it), a field left out keeps its value; the
 * result is validated like an imported row, and their exclusion screening starts. The audit entry
 * names the fields given.
 */
export async function updateEmployee(
  deps: PeopleDeps,
  input: {
    organizationId: string;
    actorUserId: string;
    id: string;
    fields: EmployeeFields;
  },
): Promise<ScreenedEmployee> {
  const { organizationId, id } = input;
  const current = await findEmployee(deps.sequelize, organizationId, id);
  if (!current) throw employeeNotFound(id);
  const merged: EmployeeFields = {};
  for (const column of EMPLOYEE_RECORD_COLUMNS) {
    const given = input.fields[FIELDS[column]];
    const kept = current[column];
    merged[FIELDS[column]] = given === undefined ? (Array.isArray(kept) ? kept.join('; ') : kept) : given;
  }
  const record = validatedRecord(current.kind, merged);
  const screened = await withWorkflowIntents(deps.sequelize, async (tx) => {
    const employee = await updateEmployeeRow(tx, {
      organizationId,
      id,
      status: input.fields.status ?? current.status,
      record,
    });
    if (!employee) throw employeeNotFound(id);
    await recordAudit(tx, {
      actorUserId: input.actorUserId,
      action: 'employee.updated',
      entityType: 'employee',
      entityId: employee.id,
      organizationId: employee.organization_id,
      details: { fields: Object.keys(input.fields) },
    });
    return { employee, ...(await recordEmployeeScreening(tx, deps.config, employee)) };
  });
  await deliverRecordedIntent(deps, screened.recorded);
  return { employee: screened.employee, workflowId: screened.workflowId };
}

/** Marks a person inactive; the row and its exclusion-match history are kept. */
export async function deactivateEmployee(
  sequelize: Sequelize,
  input: { organizationId: string; actorUserId: string; id: string },
): Promise<EmployeeRow> {
  const employee = await deactivateEmployeeRow(sequelize, input.organizationId, input.id);
  if (!employee) throw employeeNotFound(input.id);
  await recordAudit(sequelize, {
    actorUserId: input.actorUserId,
    action: 'employee.deactivated',
    entityType: 'employee',
    entityId: employee.id,
    organizationId: employee.organization_id,
  });
  return employee;
}
