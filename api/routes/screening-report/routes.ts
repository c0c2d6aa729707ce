import { z } from '@hono/zod-openapi';
import { SCREENING_RESULTS } from '../../../db/exclusion-status-sql';
import { REPORT_MAX_MONTHS } from '../../../services/screening-report';
import { orgRouteFor } from '../../org-route';
import { csvResponse, jsonResponse, problems, UuidParam } from '../../schemas';

const VersionSchema = z.object({
  checkId: z.uuid(),
  sourceUpdatedOn: z
    .string()
    .nullable()
    .openapi({ description: 'The date the source gave for this version' }),
  rowCount: z.number().int().nullable(),
  sha256: z.string().nullable().openapi({ description: 'Of the file as downloaded' }),
});

export const ScreeningReportSchema = z
  .object({
    organization: z.object({ id: z.uuid(), name: z.string(), subdomain: z.string() }),
    period: z.object({ from: z.string(), to: z.string().openapi({ description: 'Inclusive' }) }),
    sources: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        versions: z
          .array(VersionSchema)
          .openapi({ description: 'Every version in force at some moment of the period' }),
      }),
    ),
    runs: z.array(
      z.object({
        id: z.uuid(),
        scope: z.enum(['organization', 'all']).openapi({
          description:
            '`organization`: the organization’s own run; `all`: a list-wide run (monthly, list update) whose counts cover every organization',
        }),
        trigger: z.enum(['person_change', 'import', 'source_update', 'manual', 'monthly']),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        status: z.enum(['running', 'succeeded', 'incomplete', 'failed']),
        peopleScreened: z.number().int().nullable(),
        matchesOpened: z.number().int().nullable(),
        matchesResolved: z.number().int().nullable(),
        listVersions: z.array(z.object({ source: z.string(), checkId: z.uuid() })),
      }),
    ),
    people: z.array(
      z.object({
        kind: z.enum(['employee', 'caregiver']),
        externalId: z.string().nullable(),
        name: z.string(),
        lastScreenedAt: z.string().nullable(),
        result: z.enum(SCREENING_RESULTS),
      }),
    ),
    totals: z.object({
      people: z.number().int(),
      runs: z.number().int(),
      clear: z.number().int(),
      possible_match: z.number().int(),
      confirmed: z.number().int(),
      dismissed: z.number().int(),
      not_screened: z.number().int(),
    }),
  })
  .openapi('ScreeningReport');

export const ReportQuery = z.object({
  from: z
    .string()
    .max(40)
    .optional()
    .openapi({ description: 'First day, YYYY-MM-DD (UTC)', example: '2026-11-01' }),
  to: z
    .string()
    .max(40)
    .optional()
    .openapi({
      description: `Last day, YYYY-MM-DD (UTC), included; at most ${REPORT_MAX_MONTHS} months after from. Both missing: the current UTC month`,
      example: '2026-11-30',
    }),
});

const params = z.object({ orgId: UuidParam });
const description = `The certificate of docs/spec.md §10: the lists in force, the runs, every person active in the period (no date of birth) and totals. A bad date, from after to, or a period over ${REPORT_MAX_MONTHS} months is 422.`;

export function screeningReportRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  return {
    json: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/screening-report',
      tags: ['exclusion screening'],
      summary: 'Screening report for a period (default the current UTC month)',
      description,
      request: { params, query: ReportQuery },
      responses: { 200: jsonResponse(ScreeningReportSchema, 'The report'), 422: problems[422] },
    }),
    csv: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/screening-report.csv',
      tags: ['exclusion screening'],
      summary: 'Screening report as CSV: one row per person',
      description,
      request: { params, query: ReportQuery },
      responses: {
        200: csvResponse('kind, externalId, name, lastScreenedAt, result; cells neutralized'),
        422: problems[422],
      },
    }),
    pdf: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/screening-report.pdf',
      tags: ['exclusion screening'],
      summary: 'Screening report as a PDF certificate',
      description,
      request: { params, query: ReportQuery },
      responses: {
        200: {
          description: 'The certificate',
          content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
        },
        422: problems[422],
      },
    }),
  };
}
