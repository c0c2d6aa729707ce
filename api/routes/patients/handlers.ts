import type { z } from '@hono/zod-openapi';
import { findPatient, type PatientRow, searchPatients } from '../../../db/people-store';
import { NotFoundError } from '../../../domain/errors';
import { isoTimestamp } from '../../../lib/iso-timestamp';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { type PatientSchema, patientRouteDefinitions } from './routes';

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

export function patientRoutes({ config, sequelize }: AppDeps) {
  const routes = patientRouteDefinitions(config.AUTH_JWT_SECRET);
  return createRouter()
    .openapi(routes.search, async (c) => {
      const { q, status, limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['text', 'uuid']);
      const rows = await searchPatients(
        sequelize,
        c.var.organization.id,
        { q, status },
        { limit: limit + 1, after },
      );
      const result = page(rows, limit, (row) => [row.full_name_norm, row.id]);
      return c.json({ items: result.items.map(patientJson), nextCursor: result.nextCursor }, 200);
    })
    .openapi(routes.get, async (c) => {
      const { id } = c.req.valid('param');
      const patient = await findPatient(sequelize, c.var.organization.id, id);
      if (!patient) throw new NotFoundError(`Patient ${id} was not found.`);
      return c.json(patientJson(patient), 200);
    });
}
