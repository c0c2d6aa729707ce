import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { insertSsoCode, useSsoCode } from '../db/sso-code-store';
import { findUserByEmail } from '../db/user-store';
import { UnauthenticatedError } from '../domain/errors';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { SsoIdentity, SsoProviderId } from '../lib/oidc';
import { newOpaqueToken, opaqueTokenHash } from '../lib/tokens';
import { createInvitationService } from './invitations';
import { createSessionService, type TokenPair } from './sessions';

/**
 * Who may sign in through single sign-on, and the one-time code that carries a sign-in from the
 * provider's callback to the web app (docs/spec.md §11).
 */

/** How long the web app has to exchange the code the callback hands it. */
export const SSO_CODE_LIFETIME_SECONDS = 60;

export const EXCHANGE_REFUSED =
  'The sign-in code is not valid, has expired or was already used; sign in again.';

/** Why a provider's identity does not sign in: the `error=` the web app receives. */
export type SsoRefusal = 'email_not_verified' | 'no_account';

export interface SsoServiceDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
}

export function createSsoService(deps: SsoServiceDeps) {
  const { sequelize } = deps;
  const invitations = createInvitationService(deps);
  const sessions = createSessionService(deps);

  return {
    /**
     * Only a verified address signs in: of an existing account, or one with an open invitation,
     * which the sign-in accepts. Returns the one-time code for the web app, or why not.
     */
    async signIn(
      provider: SsoProviderId,
      identity: SsoIdentity,
      logger: Logger,
    ): Promise<{ code: string } | { refused: SsoRefusal }> {
      if (!identity.email || !identity.emailVerified) return { refused: 'email_not_verified' };
      const user =
        (await findUserByEmail(sequelize, identity.email)) ??
        (await invitations.acceptForVerifiedEmail(identity.email, identity.name ?? '', logger));
      if (!user) return { refused: 'no_account' };
      const code = newOpaqueToken();
      await insertSsoCode(sequelize, {
        codeHash: opaqueTokenHash(code),
        userId: user.id,
        provider,
        expiresAt: new Date(Date.now() + SSO_CODE_LIFETIME_SECONDS * 1000),
      });
      return { code };
    },

    /** Spends the one-time code for a token pair of a new session. */
    async exchange(code: string): Promise<TokenPair> {
      const userId = await useSsoCode(sequelize, opaqueTokenHash(code));
      if (!userId) throw new UnauthenticatedError(EXCHANGE_REFUSED);
      return sessions.start(userId, 'sso');
    },
  };
}
