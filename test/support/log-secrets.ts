import { DEV_SECRETS } from '../../lib/config';
import { TEST_PASSWORD } from './fixtures';

/** What must never reach a log line (docs/spec.md §7): passwords, bearer/invitation tokens, roster rows, SQL values. */
const FORBIDDEN: [string, RegExp][] = [
  ['a test password', new RegExp(TEST_PASSWORD)],
  ['the bootstrap admin password', new RegExp(DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD)],
  ['a JWT', /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  ['a date of birth field', /"(dateOfBirth|date_of_birth|dob)"\s*:\s*"\d/i],
  ['a person name field', /"(firstName|first_name|lastName|last_name)"\s*:/i],
  ['the payload key', new RegExp(DEV_SECRETS.TEMPORAL_PAYLOAD_KEY.split(':')[1] ?? 'x')],
  ['a Postgres error detail quoting a row', /Failing row contains \(|Key \([^)]*\)=\(/],
];

/** Lines of the run's logs that hold something from FORBIDDEN, with what they hold. */
export function secretsInLogs(lines: string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    for (const [what, pattern] of FORBIDDEN) {
      if (pattern.test(line)) found.push(`${what}: ${line.slice(0, 300)}`);
    }
  }
  return found;
}
