import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE } from './exclusion-source-contract';
import { screeningTriggerOf } from './monthly-screening-contract';
import {
  LEIE_SOURCE,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  SCREENING_TRIGGERS,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
} from './workflow-contracts';

/**
 * The search attributes of docs/spec.md §12: keywords operators filter by in the Web UI
 * (`OrganizationId = '…'`). Never encrypted (§7), so they hold uuids and enums only. Registered at
 * start (lib/temporal.ts ensureSearchAttributes).
 */

export const OrganizationIdAttribute = defineSearchAttributeKey(
  'OrganizationId',
  SearchAttributeType.KEYWORD,
);
export const RosterKindAttribute = defineSearchAttributeKey('RosterKind', SearchAttributeType.KEYWORD);
export const ScreeningTriggerAttribute = defineSearchAttributeKey(
  'ScreeningTrigger',
  SearchAttributeType.KEYWORD,
);
export const ExclusionSourceAttribute = defineSearchAttributeKey(
  'ExclusionSource',
  SearchAttributeType.KEYWORD,
);
export const SEARCH_ATTRIBUTE_KEYS = [
  OrganizationIdAttribute,
  RosterKindAttribute,
  ScreeningTriggerAttribute,
  ExclusionSourceAttribute,
] as const;

/** The search attributes a screening of `scope` carries. */
export function screeningSearchAttributes(scope: ScreeningScope): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: ScreeningTriggerAttribute, value: screeningTriggerOf(scope) }];
  if ('organizationId' in scope) pairs.push({ key: OrganizationIdAttribute, value: scope.organizationId });
  if (scope.kind === 'oig-import') pairs.push({ key: ExclusionSourceAttribute, value: LEIE_SOURCE });
  if (scope.kind === 'source-import') pairs.push({ key: ExclusionSourceAttribute, value: scope.sourceId });
  return pairs;
}

/**
 * The search attributes of a workflow started by type with `args`, for the ones whose input names
 * them (the client adds them at start: lib/temporal.ts). A roster import and an invitation learn
 * their organization from their first activity and upsert it themselves.
 */
export function searchAttributesOfStart(
  workflowType: string,
  args: readonly unknown[],
): SearchAttributePair[] {
  const input = args[0] as Record<string, unknown> | undefined;
  switch (workflowType) {
    case ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE:
      return typeof input?.organizationId === 'string'
        ? [{ key: OrganizationIdAttribute, value: input.organizationId }]
        : [];
    case SCREENING_WORKFLOW_TYPE:
      return input && typeof input.kind === 'string' && input.kind in SCREENING_TRIGGERS
        ? screeningSearchAttributes(input as unknown as ScreeningScope)
        : [];
    case EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE:
      return typeof input?.sourceId === 'string'
        ? [{ key: ExclusionSourceAttribute, value: input.sourceId }]
        : [];
    default:
      return [];
  }
}
