import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../../middleware/authenticate';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../../schemas';

const LoginSchema = z
  .object({
    email: z.email().max(320).openapi({ example: 'admin@ale.test' }),
    password: z.string().min(1).max(1024),
  })
  .openapi('LoginRequest');

const TokenSchema = z
  .object({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int() })
  .openapi('AccessToken');

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
        429: problems[429],
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
