import { createRoute, z } from '@hono/zod-openapi';
import { Membership, Organization, User } from '../../db/models';
import { dummyPasswordHash, verifyPassword } from '../../lib/passwords';
import { signAccessToken } from '../../lib/tokens';
import { type AppDeps, createRouter } from '../env';
import { authenticate } from '../middleware/authenticate';
import { ProblemError } from '../problem';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../schemas';

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

export function authRoutes({ config }: AppDeps) {
  return createRouter()
    .openapi(
      createRoute({
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
      async (c) => {
        const { email, password } = c.req.valid('json');
        const user = await User.findOne({ where: { email: email.toLowerCase() } });
        // Unknown email and wrong password take the same time and get the same answer.
        const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
        if (!user || !valid) throw new ProblemError(401, 'Email or password is incorrect.');
        const accessToken = await signAccessToken(
          { userId: user.id },
          { secret: config.AUTH_JWT_SECRET, expiresInSeconds: config.ACCESS_TOKEN_EXPIRE },
        );
        return c.json(
          { accessToken, tokenType: 'Bearer' as const, expiresIn: config.ACCESS_TOKEN_EXPIRE },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/v1/auth/me',
        tags: ['auth'],
        summary: 'The signed-in user and their memberships',
        security: bearerAuth,
        middleware: [authenticate(config.AUTH_JWT_SECRET)] as const,
        responses: { 200: jsonResponse(MeSchema, 'The user'), 401: problems[401] },
      }),
      async (c) => {
        const user = await User.findByPk(c.var.user.id, { rejectOnEmpty: true });
        const memberships = await Membership.findAll({
          where: { userId: user.id },
          include: [{ model: Organization, as: 'organization', attributes: ['name'] }],
          order: [['createdAt', 'ASC']],
        });
        return c.json(
          {
            id: user.id,
            email: user.email,
            name: user.name,
            platformAdmin: user.platformAdmin,
            memberships: memberships.map((m) => ({
              organizationId: m.organizationId,
              organizationName: (m.get('organization') as Organization).name,
              role: m.role,
            })),
          },
          200,
        );
      },
    );
}
