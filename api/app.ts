import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { Registry } from 'prom-client';
import { type AppDeps, type AppEnv, createRouter, provideDatabase } from './env';
import { explainUnsupportedMediaType, refuseEncodedBodies } from './media-types';
import { JSON_BODY_LIMIT_BYTES, limitBody } from './middleware/body-limit';
import { loginThrottle, passwordResetThrottle } from './middleware/login-throttle';
import { httpMetrics, metricsEndpoint, outboxMetrics } from './middleware/metrics';
import { requestRateLimit } from './middleware/rate-limit';
import { requestLogger } from './middleware/request-logger';
import { withEdgeProblems } from './openapi';
import { handleError, problemResponse } from './problem';
import { auditLogRoutes } from './routes/audit-log/handlers';
import { authRoutes } from './routes/auth/handlers';
import { ssoRoutes } from './routes/auth/sso';
import { codecRoutes } from './routes/codec/handlers';
import { docsRoutes } from './routes/docs/handlers';
import { employeeRoutes } from './routes/employees/handlers';
import { eventRoutes } from './routes/events/handlers';
import { exclusionMatchRoutes } from './routes/exclusion-matches/handlers';
import { exclusionSourceRoutes } from './routes/exclusion-sources/handlers';
import { healthRoutes } from './routes/health/handlers';
import { importRoutes } from './routes/imports/handlers';
import { invitationRoutes } from './routes/invitations/handlers';
import { memberRoutes } from './routes/members/handlers';
import { oigRoutes } from './routes/oig/handlers';
import { organizationRoutes } from './routes/organizations/handlers';
import { patientRoutes } from './routes/patients/handlers';
import { screeningReportRoutes } from './routes/screening-report/handlers';
import { webhookRoutes } from './routes/webhooks/handlers';

/** File bodies that the upload routes stream or cap themselves, once the caller is authorized. */
const FILE_CONTENT_TYPE = /^(text\/csv|image\/|application\/(octet-stream|vnd\.openxmlformats))/i;
const UPLOAD_PATH = /^\/v1\/organizations\/[^/]+\/(imports|logo)$/;

export function createApp(deps: AppDeps) {
  const app = createRouter();
  const jsonLimit = limitBody(JSON_BODY_LIMIT_BYTES);
  const registry = deps.metricsRegistry ?? new Registry();
  app.use('*', requestId());
  app.use('*', provideDatabase(deps.sequelize));
  app.use('*', httpMetrics(registry));
  outboxMetrics(registry, deps.sequelize);
  app.use('*', requestLogger(deps.logger));
  app.use('*', secureHeaders({ crossOriginResourcePolicy: false }));
  // Every route but the uploads of a file, authenticated or not, reads at most the JSON limit
  // whatever the content type and method. A preflight (OPTIONS) is answered by cors(), so it is
  // capped before; every other request after, so that a 413 carries the CORS headers a browser needs.
  const capBody: MiddlewareHandler<AppEnv> = (c, next) =>
    UPLOAD_PATH.test(c.req.path) && FILE_CONTENT_TYPE.test(c.req.header('content-type') ?? '')
      ? next()
      : jsonLimit(c, next);
  app.use('*', (c, next) => (c.req.method === 'OPTIONS' ? capBody(c, next) : next()));
  app.use(
    '*',
    cors({
      origin: deps.config.CORS_ORIGINS,
      exposeHeaders: [
        'X-Request-Id',
        'Retry-After',
        'Location',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ],
    }),
  );
  app.use('*', (c, next) => (c.req.method === 'OPTIONS' ? next() : capBody(c, next)));
  app.use('*', refuseEncodedBodies());
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        problemResponse(c, 405, `${c.req.method} is not allowed here; use ${allowed.join(', ')}.`, {
          headers: { Allow: allowed.join(', ') },
        }),
    }),
  );

  app.route('/', docsRoutes(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', codecRoutes(deps));
  app.use('/v1/*', requestRateLimit(deps.sequelize, deps.config, deps.logger));
  app.use('/v1/auth/login', loginThrottle(deps.sequelize, deps.config));
  app.use('/v1/auth/password-reset', passwordResetThrottle(deps.sequelize, deps.config));
  app.route('/', authRoutes(deps));
  app.route('/', eventRoutes(deps));
  app.route('/', ssoRoutes(deps));
  app.route('/', importRoutes(deps));
  app.route('/', employeeRoutes(deps));
  app.route('/', patientRoutes(deps));
  app.route('/', webhookRoutes(deps));
  app.route('/', exclusionMatchRoutes(deps));
  app.route('/', organizationRoutes(deps));
  app.route('/', memberRoutes(deps));
  app.route('/', invitationRoutes(deps));
  app.route('/', oigRoutes(deps));
  app.route('/', exclusionSourceRoutes(deps));
  app.route('/', auditLogRoutes(deps));
  app.route('/', screeningReportRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  const openApiDocument = () =>
    withEdgeProblems(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'ALE Backend API',
          version: '1.0.0',
          description:
            'Organizations, rosters, invitations and HHS-OIG exclusion screening. Errors are RFC 9457 problem+json.',
        },
      }),
    );
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  if (deps.config.METRICS_TOKEN) app.get('/metrics', metricsEndpoint(registry, deps.config.METRICS_TOKEN));

  app.notFound((c) => problemResponse(c, 404, `No route matches ${c.req.method} ${c.req.path}.`));
  const explain415 = explainUnsupportedMediaType(app);
  app.onError((error, c) => handleError(error, c, explain415));
  return app;
}
