import { z } from '@hono/zod-openapi';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { jsonResponse, problems, UuidParam } from '../../schemas';

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

/** Patients are PHI: org admins only, and never logged. */
export function patientRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  return {
    search: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/patients',
      tags: ['patients'],
      summary: 'Search patients by name (trigram) or exact MRN / email',
      request: {
        params: z.object({ orgId: UuidParam }),
        query: z.object({
          q: z.string().trim().min(2, 'q needs at least 2 characters').max(200).optional(),
          status: z.enum(['active', 'inactive']).optional(),
          ...PageQuery,
        }),
      },
      responses: {
        200: jsonResponse(listSchema(PatientSchema), 'Patients'),
        422: problems[422],
      },
    }),
    get: orgRoute('admin', {
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
  };
}
