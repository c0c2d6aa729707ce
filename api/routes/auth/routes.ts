import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../../middleware/authenticate';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../../schemas';

const LoginSchema = z
  .object({
    email: z.email().max(320).openapi({ example: 'admin@ale.test' }),
    password: z.string().min(1).max(1024),
  })
  .openapi('LoginRequest');

export const TokenSchema = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds the access token lives' }),
    refreshToken: z
      .string()
      .openapi({ description: 'Opaque; POST /v1/auth/refresh spends it (once) for a new pair' }),
    refreshExpiresIn: z.number().int().openapi({ description: 'Seconds the refresh token lives' }),
  })
  .openapi('TokenPair');

const RefreshSchema = z.object({ refreshToken: z.string().min(1).max(512) }).openapi('RefreshRequest');

const PASSWORD_RULES = 'At least 12 characters, not your email address, not a common password.';
const NewPassword = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(1024)
  .openapi({ description: PASSWORD_RULES });

const ResetRequestSchema = z
  .object({ email: z.email().max(320).openapi({ example: 'admin@ale.test' }) })
  .openapi('PasswordResetRequest');

const ResetRequestedSchema = z
  .object({ status: z.literal('accepted'), detail: z.string() })
  .openapi('PasswordResetRequested');

const ResetConfirmSchema = z
  .object({ token: z.string().min(1).max(512), password: NewPassword })
  .openapi('PasswordResetConfirm');

const PasswordChangeSchema = z
  .object({ currentPassword: z.string().min(1).max(1024), newPassword: NewPassword })
  .openapi('PasswordChange');

const MeSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    platformAdmin: z.boolean(),
    memberships: z.array(
      z.object({
        organizationId: z.uuid(),
        organizationName: z.string(),
        role: z.enum(['owner', 'admin', 'member']),
      }),
    ),
  })
  .openapi('Me');

/** The auth routes: the contract their handlers (handlers.ts) implement. */
export function authRouteDefinitions(secret: string) {
  return {
    login: createRoute({
      method: 'post',
      path: '/v1/auth/login',
      tags: ['auth'],
      summary: 'Exchange email and password for an access token',
      request: { body: jsonBody(LoginSchema) },
      responses: {
        200: jsonResponse(TokenSchema, 'Logged in'),
        401: problems[401],
        422: problems[422],
      },
    }),
    refresh: createRoute({
      method: 'post',
      path: '/v1/auth/refresh',
      tags: ['auth'],
      summary: 'Spend a refresh token for a new token pair of the same session',
      description:
        'Each refresh token works once. Presenting one that was already used ends its whole session (401). ' +
        "An access token sent along (expired or not) must be of the same user: another user's is refused (401) and the refresh token stays spent.",
      request: { body: jsonBody(RefreshSchema) },
      responses: {
        200: jsonResponse(TokenSchema, 'A new pair; the presented refresh token is spent'),
        401: problems[401],
        422: problems[422],
      },
    }),
    logout: createRoute({
      method: 'post',
      path: '/v1/auth/logout',
      tags: ['auth'],
      summary: 'End this session: its access and refresh tokens stop working at once',
      security: bearerAuth,
      middleware: [authenticate(secret)] as const,
      responses: { 204: { description: 'Logged out' }, 401: problems[401] },
    }),
    passwordReset: createRoute({
      method: 'post',
      path: '/v1/auth/password-reset',
      tags: ['auth'],
      summary: 'Email a single-use password-reset link',
      description:
        'Answers 202 with the same body, in about the same time, whether or not the address has an account.',
      request: { body: jsonBody(ResetRequestSchema) },
      responses: {
        202: jsonResponse(ResetRequestedSchema, 'If the address has an account, a link is on its way'),
        422: problems[422],
      },
    }),
    passwordResetConfirm: createRoute({
      method: 'post',
      path: '/v1/auth/password-reset/confirm',
      tags: ['auth'],
      summary: "Set a new password with a reset link's token; ends every session of the account",
      request: { body: jsonBody(ResetConfirmSchema) },
      responses: {
        204: { description: 'Password set; every session of the account has ended' },
        400: problems[400],
        410: problems[410],
        422: problems[422],
      },
    }),
    passwordChange: createRoute({
      method: 'post',
      path: '/v1/auth/password',
      tags: ['auth'],
      summary: "Change the signed-in user's password; ends their other sessions",
      security: bearerAuth,
      middleware: [authenticate(secret)] as const,
      request: { body: jsonBody(PasswordChangeSchema) },
      responses: {
        204: { description: 'Password changed; the other sessions have ended' },
        401: problems[401],
        422: problems[422],
      },
    }),
    me: createRoute({
      method: 'get',
      path: '/v1/auth/me',
      tags: ['auth'],
      summary: 'The signed-in user and their memberships',
      security: bearerAuth,
      middleware: [authenticate(secret)] as const,
      responses: { 200: jsonResponse(MeSchema, 'The user'), 401: problems[401] },
    }),
  };
}
