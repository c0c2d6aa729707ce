import type { RosterKind } from '../lib/workflow-contracts';
import { ConflictError } from './errors';

/**
 * Why a replace import must not deactivate the members missing from its file, or null when it may:
 * more than half of the active roster missing is more likely a wrong or truncated file than a real
 * change, so it takes `force`.
 */
export function deactivationRefusal(roster: {
  kind: RosterKind;
  /** Active members of the roster before the replace step. */
  active: number;
  /** How many of them the file holds. */
  inFile: number;
  force: boolean;
}): string | null {
  const absent = roster.active - roster.inFile;
  if (absent * 2 <= roster.active || roster.force) return null;
  return (
    `Replacing the roster would deactivate ${absent} of ${roster.active} active ${roster.kind} (more than half); ` +
    'nobody was deactivated. Check the file, or import again with force=true.'
  );
}

/** A replace import refused to deactivate (`deactivationRefusal`'s message); nothing was deactivated. */
export class DeactivationRefusedError extends ConflictError {}
