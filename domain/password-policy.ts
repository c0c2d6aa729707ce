import { COMMON_PASSWORDS } from './common-passwords';

/** docs/spec.md §11: at least 12 characters, not the email, not a common password. */
export const MIN_PASSWORD_LENGTH = 12;

/** Why `password` is refused for the account of `email`, or undefined when it is acceptable. */
export function passwordProblem(password: string, email: string): string | undefined {
  // Characters as a person counts them (code points), not UTF-16 units.
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  const lower = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  if (lower === address || lower === address.split('@')[0]) return 'must not be your email address';
  if (COMMON_PASSWORDS.has(lower)) return 'is one of the most common passwords; choose another';
  return undefined;
}
