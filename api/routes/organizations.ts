import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { QueryTypes, type Transaction, UniqueConstraintError } from 'sequelize';
import { recordAudit } from '../../db/audit';
import { Organization, type OrganizationStatus } from '../../db/models';
import { inspectLogo, LOGO_MAX_UPLOAD_BYTES, type LogoInfo, LogoRejectedError } from '../../domain/logo';
import { organizationHostname, subdomainProblems } from '../../domain/subdomain';
import { createS3Client } from '../../lib/aws';
import type { Config } from '../../lib/config';
import {
  newOrganizationLifecycleInput,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  type OrganizationChange,
  organizationChangeSignal,
  organizationWorkflowId,
} from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
import { type AppDeps, createRouter } from '../env';
import { authenticate, requirePlatformAdmin } from '../middleware/authenticate';
import { limitBody } from '../middleware/body-limit';
import type { OrgEnv } from '../middleware/organization-access';
import { orgRouteFor } from '../org-route';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { ProblemError } from '../problem';
import { bearerAuth, jsonBody, jsonResponse, problems, UuidParam } from '../schemas';

const SubdomainSchema = z
  .string()
  .max(253)
  .superRefine((value, ctx) => {
    for (const message of subdomainProblems(value)) ctx.addIssue({ code: 'custom', message });
  })
  .openapi({
    example: 'acme',
    description: '3–63 of a–z 0–9 -, not reserved; becomes <subdomain>.<BASE_DOMAIN>',
  });

const NameSchema = z.string().trim().min(1).max(200).openapi({ example: 'Acme Home Care' });

const CreateOrganizationSchema = z
  .object({ name: NameSchema, subdomain: SubdomainSchema })
  .openapi('CreateOrganization');

const UpdateOrganizationSchema = z
  .object({ name: NameSchema.optional(), subdomain: SubdomainSchema.optional() })
  .openapi('UpdateOrganization');

const organizationFields = {
  id: z.uuid(),
  name: z.string(),
  subdomain: z.string(),
  hostname: z.string().openapi({ example: 'acme.ale.test' }),
  status: z.enum(['provisioning', 'active', 'failed', 'deprovisioning', 'deleted']),
  dnsStatus: z.enum(['pending', 'in_sync', 'failed']),
  logoUrl: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
};
const OrganizationSchema = z.object(organizationFields).openapi('Organization');
const AcceptedOrganizationSchema = z
  .object({ ...organizationFields, ...AcceptedFields })
  .openapi('AcceptedOrganization');

const OrgParams = z.object({ orgId: UuidParam });

// After the organization access check, so another organization answers 404 before a member is told 403.
const platformAdminOfOrg = requirePlatformAdmin as unknown as MiddlewareHandler<OrgEnv>;
// app.ts leaves image bodies uncapped for the route to cap: 2 MB + 1 byte answers 413 unread.
const logoBodyLimit = limitBody(LOGO_MAX_UPLOAD_BYTES, 'logo') as unknown as MiddlewareHandler<OrgEnv>;

function organizationJson(organization: Organization, config: Pick<Config, 'BASE_DOMAIN'>) {
  return {
    id: organization.id,
    name: organization.name,
    subdomain: organization.subdomain,
    hostname: organizationHostname(organization.subdomain, config.BASE_DOMAIN),
    status: organization.status,
    dnsStatus: organization.dnsStatus,
    logoUrl: organization.logoUrl ?? null,
    failureReason: organization.failureReason ?? null,
    createdAt: organization.createdAt.toISOString(),
    updatedAt: organization.updatedAt.toISOString(),
  };
}

const subdomainTaken = (subdomain: string) =>
  new ProblemError(409, `The subdomain "${subdomain}" is already used by another organization.`, {
    errors: [{ path: 'subdomain', message: 'already taken' }],
  });

/** Changes other than retry and delete wait until a failure is retried or the organization is gone. */
function assertAcceptsChanges(organization: Organization) {
  const refusals: Partial<Record<OrganizationStatus, string>> = {
    failed: `Its last change failed (${organization.failureReason ?? 'no reason recorded'}); retry it first (POST …/provisioning/retry).`,
    deprovisioning: 'It is being deleted.',
    deleted: 'It has been deleted.',
  };
  const refusal = refusals[organization.status as OrganizationStatus];
  if (refusal) throw new ProblemError(409, `The organization cannot be changed now. ${refusal}`);
}

type Snapshot = Pick<Organization, 'subdomain' | 'dnsStatus' | 'status'>;
/** The fields a handler needs from before its own update (instances are mutated in place). */
const snapshot = ({ subdomain, dnsStatus, status }: Organization): Snapshot => ({
  subdomain,
  dnsStatus,
  status,
});

/** Locks the organization row for the duration of the transaction, so intents are recorded in order. */
async function lockOrganization(id: string, transaction: Transaction) {
  return Organization.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
}

export function organizationRoutes({ config, sequelize, temporal, logger }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  const s3 = createS3Client(config);
  const auth = authenticate(config.AUTH_JWT_SECRET);
  const selfPath = (id: string) => `/v1/organizations/${id}`;

  /**
   * Hands a recorded change to the organization's workflow, starting it if it is not running.
   * `liveSubdomain` is what a new run may assume is in DNS (the subdomain before this change).
   * If Temporal cannot be reached the organization shows `failed` so it can be retried.
   */
  async function signalLifecycle(
    organizationId: string,
    change: OrganizationChange,
    liveSubdomain: string | null,
  ) {
    const workflowId = organizationWorkflowId(organizationId);
    try {
      await temporal.workflow.signalWithStart(ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [newOrganizationLifecycleInput(organizationId, liveSubdomain)],
        signal: organizationChangeSignal,
        signalArgs: [change],
      });
    } catch (error) {
      logger.error({ err: error, organizationId }, 'could not signal the organization workflow');
      await Organization.update(
        {
          status: 'failed',
          failureReason: 'The change was recorded but its workflow could not be reached; retry it.',
        },
        { where: { id: organizationId } },
      );
      throw new ProblemError(503, 'The workflow service is unavailable; the change can be retried.');
    }
    return workflowId;
  }

  async function accepted(organizationId: string, workflowId: string) {
    const organization = await Organization.findByPk(organizationId, { rejectOnEmpty: true });
    return acceptedBody(config, organizationJson(organization, config), workflowId, selfPath(organizationId));
  }

  /** What a new workflow run may assume is live: the subdomain of an organization whose DNS is in sync. */
  const liveSubdomainOf = (organization: Snapshot) =>
    organization.dnsStatus === 'in_sync' ? organization.subdomain : null;

  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/v1/organizations',
        tags: ['organizations'],
        summary: 'Create an organization and start provisioning its subdomain',
        security: bearerAuth,
        middleware: [auth, requirePlatformAdmin] as const,
        request: { body: jsonBody(CreateOrganizationSchema) },
        responses: {
          202: jsonResponse(AcceptedOrganizationSchema, 'Recorded; provisioning runs in organization/<id>'),
          401: problems[401],
          403: problems[403],
          409: problems[409],
          422: problems[422],
          503: problems[503],
        },
      }),
      async (c) => {
        const { name, subdomain } = c.req.valid('json');
        let organization: Organization;
        try {
          organization = await sequelize.transaction(async (transaction) => {
            const created = await Organization.create(
              { name, subdomain, status: 'provisioning', dnsStatus: 'pending' },
              { transaction },
            );
            await recordAudit(
              {
                actorUserId: c.var.user.id,
                action: 'organization.create',
                entityType: 'organization',
                entityId: created.id,
                organizationId: created.id,
                details: { subdomain },
              },
              transaction,
            );
            return created;
          });
        } catch (error) {
          if (error instanceof UniqueConstraintError) throw subdomainTaken(subdomain);
          throw error;
        }
        const workflowId = await signalLifecycle(
          organization.id,
          { kind: 'ensureSubdomain', subdomain },
          null,
        );
        return c.json(await accepted(organization.id, workflowId), 202);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/v1/organizations',
        tags: ['organizations'],
        summary: 'Organizations by name: all for platform admins, otherwise those the user belongs to',
        security: bearerAuth,
        middleware: [auth] as const,
        request: { query: z.object(PageQuery) },
        responses: {
          200: jsonResponse(listSchema(OrganizationSchema), 'Organizations'),
          401: problems[401],
          422: problems[422],
        },
      }),
      async (c) => {
        const { limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['text', 'uuid']);
        const ids = await sequelize.query<{ id: string }>(
          `SELECT o.id FROM organizations o
            WHERE (:admin OR EXISTS (SELECT 1 FROM memberships m WHERE m.organization_id = o.id AND m.user_id = :userId))
              ${after ? 'AND (o.name, o.id) > (:afterName, CAST(:afterId AS uuid))' : ''}
            ORDER BY o.name, o.id
            LIMIT :limit`,
          {
            replacements: {
              admin: c.var.user.platformAdmin,
              userId: c.var.user.id,
              afterName: after?.[0] ?? null,
              afterId: after?.[1] ?? null,
              limit: limit + 1,
            },
            type: QueryTypes.SELECT,
          },
        );
        const rows = await Organization.findAll({ where: { id: ids.map((row) => row.id) } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        const ordered = ids.map((row) => byId.get(row.id)).filter((row): row is Organization => Boolean(row));
        const { items, nextCursor } = page(ordered, limit, (row) => [row.name, row.id]);
        return c.json({ items: items.map((row) => organizationJson(row, config)), nextCursor }, 200);
      },
    )
    .openapi(
      orgRoute('member', {
        method: 'get',
        path: '/v1/organizations/{orgId}',
        tags: ['organizations'],
        summary: 'One organization with its hostname, provisioning and DNS status and logo URL',
        request: { params: OrgParams },
        responses: {
          200: jsonResponse(OrganizationSchema, 'The organization'),
        },
      }),
      async (c) => c.json(organizationJson(c.var.organization, config), 200),
    )
    .openapi(
      orgRoute('admin', {
        method: 'patch',
        path: '/v1/organizations/{orgId}',
        tags: ['organizations'],
        summary: 'Rename (200) or change the subdomain (202: new record, wait for INSYNC, old one deleted)',
        request: { params: OrgParams, body: jsonBody(UpdateOrganizationSchema) },
        responses: {
          200: jsonResponse(OrganizationSchema, 'Renamed; nothing else to do'),
          202: jsonResponse(AcceptedOrganizationSchema, 'Subdomain change recorded and signalled'),
          409: problems[409],
          422: problems[422],
          503: problems[503],
        },
      }),
      async (c) => {
        const { name, subdomain } = c.req.valid('json');
        const organizationId = c.var.organization.id;
        let previous: Snapshot;
        try {
          previous = await sequelize.transaction(async (transaction) => {
            const organization = await lockOrganization(organizationId, transaction);
            const before = snapshot(organization);
            const subdomainChanges = subdomain !== undefined && subdomain !== organization.subdomain;
            if (organization.status === 'deleted' || subdomainChanges) assertAcceptsChanges(organization);
            const audit = {
              actorUserId: c.var.user.id,
              entityType: 'organization',
              entityId: organizationId,
              organizationId,
            };
            if (name !== undefined && name !== organization.name) {
              await recordAudit(
                { ...audit, action: 'organization.rename', details: { from: organization.name, to: name } },
                transaction,
              );
              organization.name = name;
            }
            if (subdomainChanges) {
              await recordAudit(
                {
                  ...audit,
                  action: 'organization.subdomain_change',
                  details: { from: organization.subdomain, to: subdomain },
                },
                transaction,
              );
              Object.assign(organization, { subdomain, status: 'provisioning', dnsStatus: 'pending' });
            }
            await organization.save({ transaction });
            return before;
          });
        } catch (error) {
          if (error instanceof UniqueConstraintError && subdomain) throw subdomainTaken(subdomain);
          throw error;
        }
        if (subdomain === undefined || subdomain === previous.subdomain) {
          const organization = await Organization.findByPk(organizationId, { rejectOnEmpty: true });
          return c.json(organizationJson(organization, config), 200);
        }
        const workflowId = await signalLifecycle(
          organizationId,
          { kind: 'ensureSubdomain', subdomain },
          liveSubdomainOf(previous),
        );
        return c.json(await accepted(organizationId, workflowId), 202);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'put',
        path: '/v1/organizations/{orgId}/logo',
        tags: ['organizations'],
        summary:
          'Upload a logo (raw PNG, JPEG, GIF, WebP or SVG body, at most 2 MB); it is normalized to PNG',
        description:
          'The format is detected from the bytes, whatever Content-Type says. SVG is rasterized and never served as SVG.',
        middleware: [logoBodyLimit] as const,
        request: {
          params: OrgParams,
          body: {
            required: true,
            content: {
              'image/*': { schema: z.string().openapi({ format: 'binary' }) },
              'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
            },
          },
        },
        responses: {
          202: jsonResponse(AcceptedOrganizationSchema, 'Staged; the workflow normalizes and publishes it'),
          409: problems[409],
          413: problems[413],
          415: problems[415],
          422: problems[422],
          503: problems[503],
        },
      }),
      async (c) => {
        const organization = c.var.organization;
        assertAcceptsChanges(organization);
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        let info: LogoInfo;
        try {
          info = await inspectLogo(bytes);
        } catch (error) {
          if (!(error instanceof LogoRejectedError)) throw error;
          throw new ProblemError(error.status, error.message, {
            type: `https://ale.test/problems/logo-${error.code}`,
            errors: [{ path: '(body)', message: error.message }],
          });
        }
        const stagedKey = `${config.AWS_S3_KEY_PREFIX}logo-uploads/${organization.id}/${randomUUID()}`;
        await s3.send(
          new PutObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: stagedKey, Body: bytes }),
        );
        await recordAudit({
          actorUserId: c.var.user.id,
          action: 'organization.logo_change',
          entityType: 'organization',
          entityId: organization.id,
          organizationId: organization.id,
          details: { format: info.format, width: info.width, height: info.height, bytes: bytes.length },
        });
        const workflowId = await signalLifecycle(
          organization.id,
          { kind: 'setLogo', stagedKey },
          liveSubdomainOf(organization),
        );
        return c.json(await accepted(organization.id, workflowId), 202);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'delete',
        path: '/v1/organizations/{orgId}/logo',
        tags: ['organizations'],
        summary: 'Remove the logo (the object is deleted once the organization no longer refers to it)',
        request: { params: OrgParams },
        responses: {
          202: jsonResponse(AcceptedOrganizationSchema, 'Removal signalled'),
          409: problems[409],
          503: problems[503],
        },
      }),
      async (c) => {
        const organization = c.var.organization;
        assertAcceptsChanges(organization);
        await recordAudit({
          actorUserId: c.var.user.id,
          action: 'organization.logo_remove',
          entityType: 'organization',
          entityId: organization.id,
          organizationId: organization.id,
        });
        const workflowId = await signalLifecycle(
          organization.id,
          { kind: 'removeLogo' },
          liveSubdomainOf(organization),
        );
        return c.json(await accepted(organization.id, workflowId), 202);
      },
    )
    .openapi(
      orgRoute('member', {
        method: 'post',
        path: '/v1/organizations/{orgId}/provisioning/retry',
        tags: ['organizations'],
        summary: 'Re-apply the change that left the organization failed',
        middleware: [platformAdminOfOrg] as const,
        request: { params: OrgParams },
        responses: {
          202: jsonResponse(AcceptedOrganizationSchema, 'Retry signalled'),
          403: problems[403],
          409: problems[409],
          503: problems[503],
        },
      }),
      async (c) => {
        const organizationId = c.var.organization.id;
        const organization = await sequelize.transaction(async (transaction) => {
          const locked = await lockOrganization(organizationId, transaction);
          if (locked.status !== 'failed') {
            throw new ProblemError(
              409,
              `Only a failed organization can be retried; this one is ${locked.status}.`,
            );
          }
          await recordAudit(
            {
              actorUserId: c.var.user.id,
              action: 'organization.retry',
              entityType: 'organization',
              entityId: organizationId,
              organizationId,
              details: { failureReason: locked.failureReason },
            },
            transaction,
          );
          const before = snapshot(locked);
          // The reason stays visible until the retried change succeeds or fails again.
          await locked.update({ status: 'provisioning' }, { transaction });
          return before;
        });
        const workflowId = await signalLifecycle(
          organizationId,
          { kind: 'retry', subdomain: organization.subdomain },
          liveSubdomainOf(organization),
        );
        return c.json(await accepted(organizationId, workflowId), 202);
      },
    )
    .openapi(
      orgRoute('member', {
        method: 'delete',
        path: '/v1/organizations/{orgId}',
        tags: ['organizations'],
        summary: 'Deprovision: delete the DNS record and the logo, then mark the organization deleted',
        description:
          'A deleted organization stays readable; its subdomain can be used by a new organization.',
        middleware: [platformAdminOfOrg] as const,
        request: { params: OrgParams },
        responses: {
          202: jsonResponse(AcceptedOrganizationSchema, 'Deprovisioning signalled (or already under way)'),
          403: problems[403],
          409: problems[409],
          503: problems[503],
        },
      }),
      async (c) => {
        const organizationId = c.var.organization.id;
        const { organization, alreadyDeleting } = await sequelize.transaction(async (transaction) => {
          const locked = await lockOrganization(organizationId, transaction);
          if (locked.status === 'deleted')
            throw new ProblemError(409, 'The organization is already deleted.');
          const before = snapshot(locked);
          if (locked.status === 'deprovisioning') return { organization: before, alreadyDeleting: true };
          await recordAudit(
            {
              actorUserId: c.var.user.id,
              action: 'organization.delete',
              entityType: 'organization',
              entityId: organizationId,
              organizationId,
              details: { subdomain: locked.subdomain },
            },
            transaction,
          );
          await locked.update({ status: 'deprovisioning', failureReason: null }, { transaction });
          return { organization: before, alreadyDeleting: false };
        });
        const workflowId = alreadyDeleting
          ? organizationWorkflowId(organizationId)
          : await signalLifecycle(
              organizationId,
              { kind: 'deprovision', subdomain: organization.subdomain },
              liveSubdomainOf(organization),
            );
        return c.json(await accepted(organizationId, workflowId), 202);
      },
    );
}
