import { Readable } from 'node:stream';
import { caMediCalAdapter } from './ca-medi-cal';
import { leieAdapter } from './leie';
import { paMedicheckAdapter } from './pa-medicheck';
import { samAdapter } from './sam';
import type { ExclusionSourceAdapter, ExclusionSourceId } from './source';
import { openZippedCsv } from './zipped-csv';

/**
 * Every list's adapter by source id (docs/spec.md §8); the type makes a source id without an
 * adapter a compile error. Adding a state list: its adapter file, a fixture and its test, its id in
 * `EXCLUSION_SOURCE_IDS` and a line here (docs/exclusion-sources.md).
 */
export const EXCLUSION_SOURCE_ADAPTERS: Record<ExclusionSourceId, ExclusionSourceAdapter> = {
  leie: leieAdapter,
  sam: samAdapter,
  pa_medicheck: paMedicheckAdapter,
  ca_medi_cal: caMediCalAdapter,
};

export const exclusionSourceAdapter = (id: ExclusionSourceId): ExclusionSourceAdapter =>
  EXCLUSION_SOURCE_ADAPTERS[id];

/** The CSV bytes of a list's download: the download itself, or the one CSV of its ZIP (size capped). */
export async function listCsvStream(
  adapter: ExclusionSourceAdapter,
  download: Buffer,
  options: { maxUncompressedBytes?: number } = {},
): Promise<Readable> {
  if (adapter.container === 'csv') return Readable.from([download], { objectMode: false });
  return (await openZippedCsv(download, { label: adapter.name, ...options })).stream;
}
