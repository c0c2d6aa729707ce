import type { ExclusionSourceId } from './source';

/**
 * Where each list comes from and when it is synced, from the configuration (docs/spec.md §8).
 * Pure: the sync, the Schedules and the status routes read the same answers.
 */

export const EXCLUSION_SOURCE_NAMES: Record<ExclusionSourceId, string> = {
  leie: 'HHS-OIG List of Excluded Individuals/Entities (LEIE)',
  sam: 'SAM.gov Exclusions',
  pa_medicheck: 'Pennsylvania Medicheck precluded providers',
  ca_medi_cal: 'California Medi-Cal Suspended and Ineligible Provider List',
};

export interface SourceConfig {
  EXCLUSION_SOURCES: readonly ExclusionSourceId[];
  OIG_CSV_DOWNLOAD_URL: string;
  OIG_SYNC_CRON: string;
  SAM_EXTRACT_URL: string;
  SAM_API_KEY?: string;
  PA_MEDICHECK_URL?: string;
  CA_MEDI_CAL_URL?: string;
  SAM_SYNC_CRON: string;
  STATE_LISTS_SYNC_CRON: string;
}

/**
 * The URL the sync downloads, or null when the source is not configured (its URL unset; SAM
 * without an API key). The SAM key is added as `api_key`: a secret, so never log or store this URL
 * (see `sourceDisplayUrl`).
 */
export function sourceDownloadUrl(config: SourceConfig, id: ExclusionSourceId): string | null {
  switch (id) {
    case 'leie':
      return config.OIG_CSV_DOWNLOAD_URL;
    case 'sam': {
      if (!config.SAM_API_KEY) return null;
      const url = new URL(config.SAM_EXTRACT_URL);
      url.searchParams.set('api_key', config.SAM_API_KEY);
      return url.toString();
    }
    case 'pa_medicheck':
      return config.PA_MEDICHECK_URL ?? null;
    case 'ca_medi_cal':
      return config.CA_MEDI_CAL_URL ?? null;
  }
}

/** The download URL as it may appear in messages and checks: without the API key. */
export function sourceDisplayUrl(config: SourceConfig, id: ExclusionSourceId): string | null {
  return id === 'sam' ? config.SAM_EXTRACT_URL : sourceDownloadUrl(config, id);
}

/** Why a source is `not_configured`, or null when it can be synced. */
export function notConfiguredReason(config: SourceConfig, id: ExclusionSourceId): string | null {
  if (sourceDownloadUrl(config, id)) return null;
  switch (id) {
    case 'sam':
      return 'SAM_API_KEY is not set';
    case 'pa_medicheck':
      return 'PA_MEDICHECK_URL is not set';
    case 'ca_medi_cal':
      return 'CA_MEDI_CAL_URL is not set';
    default:
      return 'its URL is not set';
  }
}

/** The cron of the source's Schedule (UTC). */
export function sourceSyncCron(config: SourceConfig, id: ExclusionSourceId): string {
  if (id === 'leie') return config.OIG_SYNC_CRON;
  return id === 'sam' ? config.SAM_SYNC_CRON : config.STATE_LISTS_SYNC_CRON;
}

/** The non-LEIE sources that get a Schedule: enabled and configured. */
export function scheduledSources(config: SourceConfig): ExclusionSourceId[] {
  return config.EXCLUSION_SOURCES.filter((id) => id !== 'leie' && sourceDownloadUrl(config, id) !== null);
}

/**
 * The date a list's file says it is of: the SAM extract's CSV is named
 * `SAM_Exclusions_Public_Extract_V2_YYDDD.CSV` (year, day of the year); null for other names.
 */
export function extractDateOfName(name: string): string | null {
  const match = /_(\d{2})(\d{3})\.csv$/i.exec(name);
  if (!match) return null;
  const year = 2000 + Number(match[1]);
  const day = Number(match[2]);
  if (day < 1 || day > 366) return null;
  const date = new Date(Date.UTC(year, 0, day));
  return date.getUTCFullYear() === year ? date.toISOString().slice(0, 10) : null;
}

/** The date of an HTTP Last-Modified header, or null. */
export function dateOfHttpDate(value: string | null): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString().slice(0, 10);
}
