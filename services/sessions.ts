import type { Sequelize } from 'sequelize';
import {
  forgetExpiredSessions,
  insertRefreshToken,
  insertSession,
  revokeSession,
  rotateRefreshToken,
  type SessionMethod,
} from '../db/session-store';
import type { Db } from '../db/sql';
import { UnauthenticatedError } from '../domain/errors';
import type { Config } from '../lib/config';
import { newOpaqueToken, opaqueTokenHash, signAccessToken } from '../lib/tokens';

/**
 * Sessions (docs/spec.md §11): a login opens one; its access tokens carry its id (`sid`) and its
 * refresh tokens are spent one at a time. Every authenticated request checks that the session is
 * still open (api/middleware/authenticate.ts), so ending it here takes effect on every replica.
 */

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** One answer for every refresh token that does not yield a pair, so none tells more than another. */
export const REFRESH_REFUSED =
  'The refresh token is not valid, has expired or was already used; log in again.';

type SessionConfig = Pick<Config, 'AUTH_JWT_SECRET' | 'ACCESS_TOKEN_EXPIRE' | 'REFRESH_TOKEN_EXPIRE'>;

export function createSessionService({ config, sequelize }: { config: SessionConfig; sequelize: Sequelize }) {
  const refreshExpiry = () => new Date(Date.now() + config.REFRESH_TOKEN_EXPIRE * 1000);

  async function pair(userId: string, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const accessToken = await signAccessToken(
      { userId, sessionId },
      { secret: config.AUTH_JWT_SECRET, expiresInSeconds: config.ACCESS_TOKEN_EXPIRE },
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: config.ACCESS_TOKEN_EXPIRE,
      refreshToken,
      refreshExpiresIn: config.REFRESH_TOKEN_EXPIRE,
    };
  }

  return {
    /** Opens a session for the user and hands out its first token pair. `db` may be a transaction. */
    async start(userId: string, method: SessionMethod, db: Db = sequelize): Promise<TokenPair> {
      await forgetExpiredSessions(db, config.ACCESS_TOKEN_EXPIRE);
      const sessionId = await insertSession(db, userId, method);
      const refreshToken = newOpaqueToken();
      await insertRefreshToken(db, {
        sessionId,
        tokenHash: opaqueTokenHash(refreshToken),
        expiresAt: refreshExpiry(),
      });
      return pair(userId, sessionId, refreshToken);
    },

    /**
     * Spends `refreshToken` for a new pair of the same session. A token used before ends the whole
     * session (a copy is in someone else's hands); every refusal is the same 401. `presentedBy`: the
     * user of the access token sent along, if any — another user's is refused and the refresh token
     * stays spent, so its owner's next refresh ends the session as a reuse.
     */
    async refresh(refreshToken: string, presentedBy: string | null = null): Promise<TokenPair> {
      const next = newOpaqueToken();
      const outcome = await rotateRefreshToken(sequelize, opaqueTokenHash(refreshToken), {
        tokenHash: opaqueTokenHash(next),
        expiresAt: refreshExpiry(),
      });
      if (outcome.kind !== 'rotated') throw new UnauthenticatedError(REFRESH_REFUSED);
      if (presentedBy !== null && presentedBy !== outcome.userId) {
        throw new UnauthenticatedError(REFRESH_REFUSED);
      }
      return pair(outcome.userId, outcome.sessionId, next);
    },

    /** Ends the session: its access and refresh tokens stop working at the next request. */
    async logout(sessionId: string): Promise<void> {
      await revokeSession(sequelize, sessionId, 'logout');
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
