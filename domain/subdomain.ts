/** Subdomain rules of docs/spec.md §4.1: pure, shared by the API (422 answers) and tests. */

export const SUBDOMAIN_MIN_LENGTH = 3;
export const SUBDOMAIN_MAX_LENGTH = 63;

/** Names the platform itself uses or may use on BASE_DOMAIN. */
export const RESERVED_SUBDOMAINS: readonly string[] = [
  'www',
  'api',
  'admin',
  'app',
  'mail',
  'ftp',
  'smtp',
  'static',
  'assets',
  'cdn',
  'status',
  'docs',
];

/** Every rule `value` breaks, as messages a user can act on; empty when it is a valid subdomain. */
export function subdomainProblems(value: string): string[] {
  const problems: string[] = [];
  const length = [...value].length;
  if (length < SUBDOMAIN_MIN_LENGTH || length > SUBDOMAIN_MAX_LENGTH) {
    problems.push(`must be ${SUBDOMAIN_MIN_LENGTH}–${SUBDOMAIN_MAX_LENGTH} characters long`);
  }
  if (/[A-Z]/.test(value)) problems.push('must be lower-case');
  if (/[^A-Za-z0-9-]/.test(value)) {
    problems.push(
      'may contain only the letters a–z, the digits 0–9 and hyphens (no accents, no underscores)',
    );
  }
  if (value.startsWith('-') || value.endsWith('-')) problems.push('must not start or end with a hyphen');
  // Labels with "--" at positions 3–4 are reserved for IDNA ("xn--…" punycode) and similar encodings.
  if (value.slice(2, 4) === '--')
    problems.push('must not have "--" at positions 3–4 (reserved for punycode, e.g. xn--)');
  if (RESERVED_SUBDOMAINS.includes(value.toLowerCase()))
    problems.push(`"${value}" is reserved by the platform`);
  return problems;
}

export function isValidSubdomain(value: string): boolean {
  return subdomainProblems(value).length === 0;
}

/** The organization's own host, e.g. `acme.ale.test`. */
export function organizationHostname(subdomain: string, baseDomain: string): string {
  return `${subdomain}.${baseDomain}`;
}
