import { caMediCalAdapter } from './ca-medi-cal';
import { paMedicheckAdapter } from './pa-medicheck';
import { samAdapter } from './sam';
import type { ExclusionSourceAdapter, ExclusionSourceId } from './source';

/**
 * Every list's adapter by source id (docs/spec.md §8). Adding a state list: its adapter file, a
 * fixture and its test, a line here and its id in `EXCLUSION_SOURCE_IDS` (docs/exclusion-sources.md).
 */
export const EXCLUSION_SOURCE_ADAPTERS: Partial<Record<ExclusionSourceId, ExclusionSourceAdapter>> = {
  sam: samAdapter,
  pa_medicheck: paMedicheckAdapter,
  ca_medi_cal: caMediCalAdapter,
};

export function exclusionSourceAdapter(id: ExclusionSourceId): ExclusionSourceAdapter {
  const adapter = EXCLUSION_SOURCE_ADAPTERS[id];
  if (!adapter) throw new Error(`no adapter for the exclusion source "${id}"`);
  return adapter;
}
