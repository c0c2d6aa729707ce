import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { PATIENT_RETRY } from '../lib/retry-policy';
import {
  type OrganizationChange,
  type OrganizationLifecycleInput,
  type OrganizationLifecycleSettings,
  type OrganizationLifecycleStep,
  organizationChangeSignal,
  organizationStateQuery,
} from '../lib/workflow-contracts';

/** Route 53 and S3: transient errors (throttling, 5xx) back off; refusals are non-retryable. */
const aws = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});
/** sharp on a ≤ 2 MB upload, plus two S3 calls. */
const images = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 4 },
});
// Postgres work, idempotent: retried as long as an outage lasts (docs/spec.md §12).
const db = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { ...PATIENT_RETRY, initialInterval: '500 milliseconds' },
});

const DEFAULT_SETTINGS: OrganizationLifecycleSettings = {
  dnsPollIntervalSeconds: 2,
  dnsMaxPollIntervalSeconds: 30,
  dnsSyncTimeoutSeconds: 15 * 60,
  maxHistoryLength: 2_000,
};

/** A step failure the workflow already compensated; carries the reason shown to users. */
class ChangeFailed extends Error {
  constructor(
    message: string,
    readonly dnsFailed: boolean,
    /** False when the change itself was committed and only a clean-up is left for a retry. */
    readonly retryChange: boolean,
  ) {
    super(message);
  }
}

function describeFailure(error: unknown): { message: string; type?: string } {
  const failure = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (failure instanceof ApplicationFailure)
    return { message: failure.message, type: failure.type ?? undefined };
  return { message: failure instanceof Error ? failure.message : String(failure) };
}

/**
 * Organization lifecycle (docs/spec.md §4.1): one entity per organization applying provisioning, subdomain
 * changes, logo changes and deprovisioning one at a time, in the order the API signalled them.
 * On a failed step it undoes what that step created, marks the organization failed with the
 * reason, and waits for `retry`. Continues as new before the history grows large.
 */
export async function organizationLifecycle(input: OrganizationLifecycleInput): Promise<{ deleted: true }> {
  const state: OrganizationLifecycleInput = { ...input };
  const settings = { ...DEFAULT_SETTINGS, ...input.settings };
  const organizationId = state.organizationId;
  let step: OrganizationLifecycleStep = 'idle';
  let applying: OrganizationChange | null = null;

  setHandler(organizationChangeSignal, (change) => {
    state.pending.push(change);
  });
  setHandler(organizationStateQuery, () => ({
    step,
    applying: applying?.kind ?? null,
    pending: state.pending.length,
    liveSubdomain: state.liveSubdomain,
    failedChange: state.failedChange,
  }));

  async function waitUntilInSync(changeId: string): Promise<void> {
    step = 'waiting-for-dns';
    const deadline = Date.now() + settings.dnsSyncTimeoutSeconds * 1000;
    let interval = settings.dnsPollIntervalSeconds;
    while ((await aws.getDnsChangeStatus(changeId)) !== 'INSYNC') {
      if (Date.now() + interval * 1000 > deadline) {
        throw ApplicationFailure.nonRetryable(
          `Route 53 did not report change ${changeId} INSYNC within ${settings.dnsSyncTimeoutSeconds} s.`,
          'DnsSyncTimeout',
        );
      }
      await sleep(interval * 1000);
      interval = Math.min(interval * 2, settings.dnsMaxPollIntervalSeconds);
    }
  }

  // A deletion gates nothing that follows, so unlike an UPSERT it does not wait for INSYNC.
  async function deleteRecord(subdomain: string): Promise<void> {
    step = 'deleting-record';
    await aws.deleteSubdomainRecord({ subdomain, organizationId });
  }

  /** Deletes old records and unreferenced logo objects left by earlier changes. */
  async function cleanUp(): Promise<void> {
    while (state.staleSubdomains.length > 0) {
      const subdomain = state.staleSubdomains[0] as string;
      if (subdomain !== state.liveSubdomain) await deleteRecord(subdomain);
      state.staleSubdomains.shift();
    }
    while (state.staleLogoKeys.length > 0) {
      await aws.deleteLogoObject({ organizationId, key: state.staleLogoKeys[0] as string });
      state.staleLogoKeys.shift();
    }
  }

  async function cleanUpOrFail(what: string): Promise<void> {
    try {
      await cleanUp();
    } catch (error) {
      if (isCancellation(error)) throw error;
      throw new ChangeFailed(
        `${what} succeeded, but removing what it replaced failed: ${describeFailure(error).message} Retry to finish the clean-up.`,
        // Only a record left behind makes the DNS state wrong; a leftover logo object does not.
        state.staleSubdomains.length > 0,
        false,
      );
    }
  }

  /** Provisioning and subdomain change alike: create the new record, wait for INSYNC, delete the old one. */
  async function ensureSubdomain(subdomain: string): Promise<void> {
    await cleanUpOrFail('The previous change');
    const previous = state.liveSubdomain;
    let created = false;
    try {
      step = 'upserting-record';
      const { changeId } = await aws.upsertSubdomainRecord(subdomain);
      created = subdomain !== previous;
      await waitUntilInSync(changeId);
    } catch (error) {
      if (isCancellation(error)) throw error;
      let compensation = '';
      if (created) {
        step = 'compensating';
        try {
          await deleteRecord(subdomain);
          compensation = ' The partly created record was removed.';
        } catch {
          state.staleSubdomains.push(subdomain);
          compensation = ' Removing the partly created record also failed; a retry removes it.';
        }
      }
      throw new ChangeFailed(
        `Setting up the DNS record for subdomain "${subdomain}" failed: ${describeFailure(error).message}${compensation}`,
        true,
        true,
      );
    }
    state.liveSubdomain = subdomain;
    if (previous && previous !== subdomain) state.staleSubdomains.push(previous);
    await cleanUpOrFail(`Switching to subdomain "${subdomain}"`);
  }

  async function setLogo(stagedKey: string): Promise<void> {
    let stored: { key: string; url: string } | null = null;
    let previousKey: string | null = null;
    try {
      step = 'storing-logo';
      stored = await images.storeNormalizedLogo({ organizationId, stagedKey });
      ({ previousKey } = await db.commitOrganizationLogo({ organizationId, logo: stored }));
    } catch (error) {
      if (isCancellation(error)) throw error;
      const { message, type } = describeFailure(error);
      // Not committed: the new object must not outlive this run (unless it is the current logo already).
      if (stored) state.staleLogoKeys.push(stored.key);
      const refused = type === 'InvalidLogo' || type === 'LogoUploadMissing';
      if (refused) await aws.deleteStagedLogo(stagedKey);
      await cleanUpOrFail('Refusing the logo');
      throw new ChangeFailed(`Storing the new logo failed: ${message}`, false, !refused);
    }
    if (previousKey && previousKey !== stored?.key) state.staleLogoKeys.push(previousKey);
    await aws.deleteStagedLogo(stagedKey);
    await cleanUpOrFail('Storing the new logo');
  }

  async function removeLogo(): Promise<void> {
    const { previousKey } = await db.commitOrganizationLogo({ organizationId, logo: null });
    if (previousKey) state.staleLogoKeys.push(previousKey);
    await cleanUpOrFail('Removing the logo');
  }

  async function deprovision(subdomain: string): Promise<void> {
    await db.markOrganizationDeprovisioning({ organizationId });
    try {
      const names = [state.liveSubdomain, subdomain, ...state.staleSubdomains].filter(
        (name, index, all): name is string => name !== null && all.indexOf(name) === index,
      );
      for (const name of names) await deleteRecord(name);
      state.liveSubdomain = null;
      state.staleSubdomains = [];
      const { previousKey } = await db.commitOrganizationLogo({ organizationId, logo: null });
      if (previousKey) state.staleLogoKeys.push(previousKey);
      await cleanUp();
    } catch (error) {
      if (isCancellation(error)) throw error;
      throw new ChangeFailed(`Deprovisioning failed: ${describeFailure(error).message}`, true, true);
    }
    await db.markOrganizationDeleted({ organizationId });
  }

  async function apply(change: Exclude<OrganizationChange, { kind: 'retry' }>): Promise<void> {
    switch (change.kind) {
      case 'ensureSubdomain':
        return ensureSubdomain(change.subdomain);
      case 'setLogo':
        return setLogo(change.stagedKey);
      case 'removeLogo':
        return removeLogo();
      case 'deprovision':
        return deprovision(change.subdomain);
    }
  }

  for (;;) {
    await condition(() => state.pending.length > 0 || workflowInfo().continueAsNewSuggested);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= settings.maxHistoryLength) {
      await condition(allHandlersFinished);
      // Plain JSON only: what is live, what is stale and the queued changes travel to the next run.
      return continueAsNew<typeof organizationLifecycle>({ ...state, settings: input.settings });
    }
    const next = state.pending.shift() as OrganizationChange;
    // A retry re-applies the failed change; with none on record it re-ensures the current subdomain.
    const change =
      next.kind === 'retry'
        ? ((state.failedChange as Exclude<OrganizationChange, { kind: 'retry' }> | null) ?? {
            kind: 'ensureSubdomain' as const,
            subdomain: next.subdomain,
          })
        : next;
    if (next.kind === 'retry') state.failedChange = null;
    applying = change;
    try {
      await apply(change);
      if (change.kind === 'deprovision') {
        await condition(allHandlersFinished);
        return { deleted: true };
      }
      // Done, and no earlier failure outstanding: active, unless the API has recorded a newer subdomain.
      if (state.failedChange === null && state.liveSubdomain !== null) {
        await db.markOrganizationActive({ organizationId, subdomain: state.liveSubdomain });
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failed =
        error instanceof ChangeFailed
          ? error
          : new ChangeFailed(
              `Applying ${change.kind} failed: ${describeFailure(error).message}`,
              false,
              true,
            );
      log.warn('organization change failed', { organizationId, change: change.kind });
      state.failedChange = failed.retryChange ? change : null;
      await db.markOrganizationFailed({
        organizationId,
        reason: failed.message,
        dnsFailed: failed.dnsFailed,
      });
    } finally {
      step = 'idle';
      applying = null;
    }
  }
}
