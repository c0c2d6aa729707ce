import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EMAIL_TEMPLATES, EmailTemplateError, escapeHtml, renderEmail } from '../../domain/email-templates';

const invitation = {
  organizationName: 'Acme Care',
  role: 'admin',
  acceptUrl: 'https://acme.ale.test/accept-invitation?token=a.b.c',
  expiresAt: '2026-11-30 09:00 UTC',
};

describe('email templates', () => {
  it('renders subject, text and HTML for every template with its required data', () => {
    for (const name of Object.keys(EMAIL_TEMPLATES)) {
      const data = Object.fromEntries(
        EMAIL_TEMPLATES[name as keyof typeof EMAIL_TEMPLATES].required.map((key) => [key, `value-${key}`]),
      );
      const rendered = renderEmail(name, data);
      assert.ok(rendered.subject.length > 0, name);
      assert.ok(rendered.text.length > 0, name);
      assert.match(rendered.html, /^<!doctype html>/, name);
    }
  });

  it('the invitation carries the org name and link in both parts, and the logo in HTML', () => {
    const rendered = renderEmail('invitation', { ...invitation, logoUrl: 'https://cdn.ale.test/l.png' });
    assert.match(rendered.subject, /Acme Care/);
    assert.ok(rendered.text.includes(invitation.acceptUrl));
    assert.ok(rendered.html.includes(`href="${invitation.acceptUrl}"`));
    assert.ok(rendered.html.includes('<img src="https://cdn.ale.test/l.png"'));
  });

  it('omits a logo that is not an http(s) URL', () => {
    const rendered = renderEmail('invitation', { ...invitation, logoUrl: 'javascript:alert(1)' });
    assert.ok(!rendered.html.includes('<img'));
  });

  it('names missing data and unknown templates', () => {
    assert.throws(
      () => renderEmail('invitation', { organizationName: 'x' }),
      (e: unknown) => {
        assert.ok(e instanceof EmailTemplateError);
        assert.match(e.message, /role, acceptUrl, expiresAt/);
        return true;
      },
    );
    assert.throws(() => renderEmail('no-such-template', {}), EmailTemplateError);
  });

  it('subjects never carry line breaks from data (no header injection)', () => {
    const rendered = renderEmail('invitation', {
      ...invitation,
      organizationName: 'Acme\r\nBcc: x@evil.test',
    });
    assert.doesNotMatch(rendered.subject, /[\r\n]/);
  });

  it('no data value reaches the HTML part unescaped (property)', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const rendered = renderEmail('invitation', { ...invitation, organizationName: `<b>${name}` });
        return !rendered.html.includes('<b>') && rendered.html.includes(escapeHtml(`<b>${name}`));
      }),
    );
  });
});
