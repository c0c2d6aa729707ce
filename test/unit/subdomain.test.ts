import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isValidSubdomain,
  organizationHostname,
  RESERVED_SUBDOMAINS,
  subdomainProblems,
} from '../../domain/subdomain';

describe('subdomain rules (docs/spec.md §4.1)', () => {
  const valid = ['abc', 'acme-care', 'a1b2c3', '123', 'x'.repeat(63), 'ab-cd', 'ab-c--d', 'care4you'];
  for (const value of valid) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      assert.deepEqual(subdomainProblems(value), []);
    });
  }

  const invalid: [string, string, RegExp][] = [
    ['too short', 'ab', /3–63 characters/],
    ['empty', '', /3–63 characters/],
    ['too long', 'x'.repeat(64), /3–63 characters/],
    ['uppercase', 'Acme', /lower-case/],
    ['underscore', 'acme_care', /letters a–z/],
    ['dot', 'acme.care', /letters a–z/],
    ['space', 'acme care', /letters a–z/],
    ['leading hyphen', '-acme', /start or end with a hyphen/],
    ['trailing hyphen', 'acme-', /start or end with a hyphen/],
    ['punycode', 'xn--bcher-kva', /positions 3–4/],
    ['any -- at 3–4', 'ab--cd', /positions 3–4/],
    ['unicode', 'bücher', /letters a–z/],
    ['emoji', 'acme😀', /letters a–z/],
  ];
  for (const [what, value, message] of invalid) {
    it(`refuses ${what} (${JSON.stringify(value)})`, () => {
      const problems = subdomainProblems(value);
      assert.ok(
        problems.some((problem) => message.test(problem)),
        `${JSON.stringify(problems)} should match ${message}`,
      );
      assert.equal(isValidSubdomain(value), false);
    });
  }

  it('refuses every reserved word, in any case', () => {
    for (const word of RESERVED_SUBDOMAINS) {
      assert.ok(
        subdomainProblems(word).some((problem) => /reserved by the platform/.test(problem)),
        word,
      );
      assert.equal(isValidSubdomain(word.toUpperCase()), false);
    }
    assert.deepEqual(RESERVED_SUBDOMAINS.toSorted(), [
      'admin',
      'api',
      'app',
      'assets',
      'cdn',
      'docs',
      'ftp',
      'mail',
      'smtp',
      'static',
      'status',
      'www',
    ]);
  });

  it('counts length in characters, not UTF-16 units', () => {
    assert.ok(subdomainProblems('a😀').some((problem) => /3–63 characters/.test(problem)));
  });

  it('accepts exactly the strings a DNS label pattern allows (property)', () => {
    const label = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{0,70}$/), (value) => {
        const expected =
          label.test(value) && value.slice(2, 4) !== '--' && !RESERVED_SUBDOMAINS.includes(value);
        assert.equal(isValidSubdomain(value), expected, value);
      }),
    );
  });

  it('builds the hostname under BASE_DOMAIN', () => {
    assert.equal(organizationHostname('acme', 'ale.test'), 'acme.ale.test');
  });
});
