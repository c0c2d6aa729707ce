import { z } from '@hono/zod-openapi';

/** A record of any exclusion list in one shape (domain/exclusion-sources/source.ts; docs/spec.md §8). */
export const ExclusionRecordSchema = z
  .object({
    source: z.string().openapi({ description: 'The list: leie, sam, pa_medicheck, ca_medi_cal' }),
    exclusionKey: z.string(),
    entityKind: z.enum(['individual', 'business']),
    firstName: z.string().nullable(),
    middleName: z.string().nullable(),
    lastName: z.string().nullable(),
    businessName: z.string().nullable(),
    aliases: z.array(z.string()),
    npi: z.string().nullable(),
    dob: z.string().nullable(),
    state: z.string().nullable(),
    exclusionType: z.string().nullable(),
    startsOn: z.string().nullable(),
    endsOn: z.string().nullable(),
  })
  .openapi('ExclusionRecord');
