/**
 * Every email the platform sends: a subject, a text part and an HTML part per template.
 * Pure functions of the data — no I/O. The HTML part only ever sees HTML-escaped values.
 *
 * To add a template: add an entry to EMAIL_TEMPLATES with the data keys it needs; the name
 * becomes a valid `template` for the `sendEmail` activity.
 */

export type EmailData = Record<string, string | number>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface TemplateDefinition<K extends string> {
  /** Data keys the template cannot render without. */
  required: readonly K[];
  subject(data: Record<K, string> & Partial<Record<string, string>>): string;
  text(data: Record<K, string> & Partial<Record<string, string>>): string;
  /** Receives the same keys, every value already HTML-escaped. */
  html(escaped: Record<K, string> & Partial<Record<string, string>>): string;
}

const defineTemplate = <K extends string>(definition: TemplateDefinition<K>) => definition;

export class EmailTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailTemplateError';
  }
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Only absolute http(s) URLs may become links or image sources. */
const isWebUrl = (value: string | undefined): value is string =>
  value !== undefined && /^https?:\/\/[^\s"'<>]+$/i.test(value);

function layout(escaped: Partial<Record<string, string>>, body: string): string {
  const logo = isWebUrl(escaped.logoUrl)
    ? `<p><img src="${escaped.logoUrl}" alt="${escaped.organizationName ?? ''}" style="max-height:64px;max-width:256px"></p>`
    : '';
  return `<!doctype html>
<html><body style="font-family:Arial,Helvetica,sans-serif;color:#1f2933;line-height:1.5">
${logo}${body}
</body></html>`;
}

const invitationText = (d: Partial<Record<string, string>>, opening: string) =>
  `${opening}

Accept the invitation and choose your password here:
${d.acceptUrl}

This link works once and expires on ${d.expiresAt}.
If you did not expect this invitation, you can ignore this email.
`;

const invitationHtml = (e: Partial<Record<string, string>>, opening: string) =>
  layout(
    e,
    `<p>${opening}</p>
<p><a href="${e.acceptUrl}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px">Accept the invitation</a></p>
<p>Or paste this link into your browser:<br>${e.acceptUrl}</p>
<p>This link works once and expires on ${e.expiresAt}. If you did not expect this invitation, you can ignore this email.</p>`,
  );

export const EMAIL_TEMPLATES = {
  invitation: defineTemplate({
    required: ['organizationName', 'role', 'acceptUrl', 'expiresAt'],
    subject: (d) => `You are invited to join ${d.organizationName} on ALE`,
    text: (d) => invitationText(d, `You have been invited to join ${d.organizationName} as ${d.role}.`),
    html: (e) =>
      invitationHtml(e, `You have been invited to join <strong>${e.organizationName}</strong> as ${e.role}.`),
  }),
  'invitation-reminder': defineTemplate({
    required: ['organizationName', 'role', 'acceptUrl', 'expiresAt'],
    subject: (d) => `Reminder: your invitation to ${d.organizationName} is waiting`,
    text: (d) =>
      invitationText(d, `A reminder: you have been invited to join ${d.organizationName} as ${d.role}.`),
    html: (e) =>
      invitationHtml(
        e,
        `A reminder: you have been invited to join <strong>${e.organizationName}</strong> as ${e.role}.`,
      ),
  }),
  // Password reset (docs/spec.md §11): the link works once, within `expiresAt`.
  'password-reset': defineTemplate({
    required: ['resetUrl', 'expiresAt'],
    subject: () => 'Reset your ALE password',
    text: (d) => `Someone (hopefully you) asked to reset the password of your ALE account.

Choose a new password here:
${d.resetUrl}

This link works once and expires on ${d.expiresAt}. Setting a new password signs you out everywhere.
If you did not ask for this, ignore this email: your password stays as it is.
`,
    html: (e) =>
      layout(
        e,
        `<p>Someone (hopefully you) asked to reset the password of your ALE account.</p>
<p><a href="${e.resetUrl}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px">Choose a new password</a></p>
<p>Or paste this link into your browser:<br>${e.resetUrl}</p>
<p>This link works once and expires on ${e.expiresAt}. Setting a new password signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.</p>`,
      ),
  }),
  // Exclusion screening (docs/spec.md §4.5): a count and a link only — no names, dates of birth or LEIE details.
  'exclusion-alert': defineTemplate({
    required: ['organizationName', 'count', 'reviewUrl'],
    subject: (d) =>
      `${d.organizationName}: ${d.count} new possible ${d.count === '1' ? 'match' : 'matches'} on an exclusion list`,
    text: (d) =>
      `The latest exclusion screening found ${d.count} new possible ${d.count === '1' ? 'match' : 'matches'} between ${d.organizationName}'s people and the exclusion lists it is screened against (the HHS-OIG LEIE, SAM.gov, state Medicaid lists).

Review and confirm or dismiss them here:
${d.reviewUrl}
`,
    html: (e) =>
      layout(
        e,
        `<p>The latest exclusion screening found <strong>${e.count}</strong> new possible ${e.count === '1' ? 'match' : 'matches'} between <strong>${e.organizationName}</strong>'s people and the exclusion lists it is screened against (the HHS-OIG LEIE, SAM.gov, state Medicaid lists).</p>
<p><a href="${e.reviewUrl}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px">Review the matches</a></p>
<p>Or paste this link into your browser:<br>${e.reviewUrl}</p>`,
      ),
  }),
  // An exclusion list that stopped updating (docs/spec.md §8): the platform's admins act on it.
  'exclusion-source-alert': defineTemplate({
    required: ['sourceName', 'state', 'detail'],
    subject: (d) => `Exclusion list ${d.sourceName} is ${d.state}`,
    text: (d) =>
      `The exclusion list ${d.sourceName} is now ${d.state}. Screenings keep using the list loaded before.

${d.detail}
`,
    html: (e) =>
      layout(
        e,
        `<p>The exclusion list <strong>${e.sourceName}</strong> is now <strong>${e.state}</strong>. Screenings keep using the list loaded before.</p>
<p>${e.detail}</p>`,
      ),
  }),
} as const;

export type EmailTemplateName = keyof typeof EMAIL_TEMPLATES;

export function isEmailTemplateName(name: string): name is EmailTemplateName {
  return Object.hasOwn(EMAIL_TEMPLATES, name);
}

/** Renders a template; throws EmailTemplateError naming any missing data key or unknown template. */
export function renderEmail(name: string, data: EmailData): RenderedEmail {
  if (!isEmailTemplateName(name)) throw new EmailTemplateError(`Unknown email template "${name}".`);
  const template = EMAIL_TEMPLATES[name] as TemplateDefinition<string>;
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) plain[key] = String(value);
  const missing = template.required.filter((key) => plain[key] === undefined || plain[key] === '');
  if (missing.length > 0) {
    throw new EmailTemplateError(`Email template "${name}" is missing data: ${missing.join(', ')}.`);
  }
  const escaped: Record<string, string> = {};
  for (const [key, value] of Object.entries(plain)) escaped[key] = escapeHtml(value);
  // Subjects are a single header line: no line breaks from data.
  const subject = template.subject(plain).replace(/[\r\n]+/g, ' ');
  return { subject, text: template.text(plain), html: template.html(escaped) };
}
