import assert from 'node:assert/strict';
import {
  dateOfHttpDate,
  extractDateOfName,
  notConfiguredReason,
  type SourceConfig,
  scheduledSources,
  sourceDisplayUrl,
  sourceDownloadUrl,
  sourceSyncCron,
} from '../../domain/exclusion-sources/settings';

const base: SourceConfig = {
  EXCLUSION_SOURCES: ['leie', 'sam'],
  OIG_CSV_DOWNLOAD_URL: 'https://oig.example/UPDATED.csv',
  OIG_SYNC_CRON: '0 6 * * *',
  SAM_EXTRACT_URL: 'https://api.sam.example/data-services/v1/extracts?fileType=EXCLUSION',
  SAM_SYNC_CRON: '0 13 * * *',
  STATE_LISTS_SYNC_CRON: '0 14 * * *',
};

describe('exclusion source settings (docs/spec.md §8)', () => {
  it('adds SAM_API_KEY as api_key, and never shows it', () => {
    const config = { ...base, SAM_API_KEY: 's3cr3t&x' };
    const url = new URL(sourceDownloadUrl(config, 'sam') ?? '');
    assert.equal(url.searchParams.get('api_key'), 's3cr3t&x');
    assert.equal(url.searchParams.get('fileType'), 'EXCLUSION');
    assert.doesNotMatch(sourceDisplayUrl(config, 'sam') ?? '', /s3cr3t/);
  });

  it('a source without its URL (SAM without a key) is not configured, and gets no Schedule', () => {
    assert.equal(sourceDownloadUrl(base, 'sam'), null);
    assert.match(notConfiguredReason(base, 'sam') ?? '', /SAM_API_KEY/);
    assert.match(notConfiguredReason(base, 'pa_medicheck') ?? '', /PA_MEDICHECK_URL/);
    assert.match(notConfiguredReason(base, 'ca_medi_cal') ?? '', /CA_MEDI_CAL_URL/);
    assert.equal(notConfiguredReason(base, 'leie'), null);
    assert.deepEqual(scheduledSources(base), []);
    const all = {
      ...base,
      EXCLUSION_SOURCES: ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'] as SourceConfig['EXCLUSION_SOURCES'],
      SAM_API_KEY: 'k',
      PA_MEDICHECK_URL: 'https://pa.example/list.csv',
    };
    assert.deepEqual(scheduledSources(all), ['sam', 'pa_medicheck']);
    assert.deepEqual(
      ['leie', 'sam', 'pa_medicheck'].map((id) => sourceSyncCron(all, id as 'sam')),
      ['0 6 * * *', '0 13 * * *', '0 14 * * *'],
    );
  });

  it('reads the SAM extract date from its file name, and a Last-Modified date', () => {
    assert.equal(extractDateOfName('SAM_Exclusions_Public_Extract_V2_26338.CSV'), '2026-12-04');
    assert.equal(extractDateOfName('SAM_Exclusions_Public_Extract_V2_24001.csv'), '2024-01-01');
    assert.equal(extractDateOfName('SAM_Exclusions_Public_Extract_V2_25366.CSV'), null, '2025 has 365 days');
    assert.equal(extractDateOfName('SAM_Exclusions_Public_Extract_V2_25000.CSV'), null);
    assert.equal(extractDateOfName('exclusions.csv'), null);
    assert.equal(dateOfHttpDate('Tue, 01 Dec 2026 09:30:00 GMT'), '2026-12-01');
    assert.equal(dateOfHttpDate('yesterday'), null);
    assert.equal(dateOfHttpDate(null), null);
  });
});
