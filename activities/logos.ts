import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import { isCurrentLogo } from '../db/organization-store';
import {
  LOGO_CACHE_CONTROL,
  LOGO_CONTENT_TYPE,
  LOGO_MAX_UPLOAD_BYTES,
  LogoRejectedError,
  normalizeLogo,
} from '../domain/logo';
import type { ActivityDeps } from './deps';

/** The content-hashed key of a stored logo; the org prefix keeps one org's cleanup away from another's. */
export const logoObjectKey = (organizationId: string, sha256: string) =>
  `logos/${organizationId}/${sha256}.png`;

/** Logo adapter: staged upload (AWS_S3_BUCKET_NAME) → sharp → AWS_S3_LOGOS_BUCKET_NAME. */
export function createLogoActivities({ s3, config, sequelize, logger }: ActivityDeps) {
  return {
    /** Reads the staged upload, validates and normalizes it, stores it; returns its key and public URL. */
    async storeNormalizedLogo(input: {
      organizationId: string;
      stagedKey: string;
    }): Promise<{ key: string; url: string }> {
      let staged: Uint8Array;
      try {
        const object = await s3.send(
          new GetObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: input.stagedKey }),
        );
        if ((object.ContentLength ?? 0) > LOGO_MAX_UPLOAD_BYTES) {
          throw ApplicationFailure.nonRetryable('The staged logo is larger than 2 MB.', 'InvalidLogo');
        }
        staged = await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray();
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') {
          throw ApplicationFailure.nonRetryable(
            'The uploaded logo is no longer staged; upload it again.',
            'LogoUploadMissing',
          );
        }
        throw error;
      }
      let normalized: Awaited<ReturnType<typeof normalizeLogo>>;
      try {
        normalized = await normalizeLogo(staged);
      } catch (error) {
        if (error instanceof LogoRejectedError) {
          throw ApplicationFailure.nonRetryable(`The logo was refused: ${error.message}`, 'InvalidLogo');
        }
        throw error;
      }
      const key = logoObjectKey(input.organizationId, normalized.sha256);
      await s3.send(
        new PutObjectCommand({
          Bucket: config.AWS_S3_LOGOS_BUCKET_NAME,
          Key: key,
          Body: normalized.bytes,
          ContentType: LOGO_CONTENT_TYPE,
          CacheControl: LOGO_CACHE_CONTROL,
        }),
      );
      logger.info({ organizationId: input.organizationId, key }, 'logo stored');
      return { key, url: `https://${config.CLOUDFRONT_DISTRIBUTION_DOMAIN}/${key}` };
    },

    /** Deletes a logo object unless it is (again) the organization's current logo. */
    async deleteLogoObject(input: { organizationId: string; key: string }): Promise<'deleted' | 'in-use'> {
      if (await isCurrentLogo(sequelize, input.organizationId, input.key)) return 'in-use';
      await s3.send(new DeleteObjectCommand({ Bucket: config.AWS_S3_LOGOS_BUCKET_NAME, Key: input.key }));
      return 'deleted';
    },

    async deleteStagedLogo(stagedKey: string): Promise<void> {
      await s3.send(new DeleteObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: stagedKey }));
    },
  };
}
