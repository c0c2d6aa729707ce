import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rosterColumnsMarkdown } from '../../api/routes/imports/roster-columns';
import { HEADER, type RosterFileError, RosterRecordReader } from '../../domain/roster-file';
import { acceptedHeaders, ROSTER_FIELDS, validateRosterRow } from '../../domain/roster-row';
import type { RosterKind } from '../../lib/workflow-contracts';

const today = '2026-11-23';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function readerAfterHeader(kind: RosterKind, header: string[]) {
  const reader = new RosterRecordReader(kind, { today, skipRows: 0 });
  assert.equal(reader.read(header), HEADER);
  return reader;
}

describe('roster messages name what the request wrote', () => {
  it('a missing column names every header spelling that would have done', () => {
    const reader = new RosterRecordReader('employees', { today, skipRows: 0 });
    assert.throws(
      () => reader.read(['Employee ID', 'First Name']),
      (error: RosterFileError) => {
        assert.equal(error.type, 'MissingColumns');
        assert.match(error.message, /last_name \(last_name, last, surname, familyname, lname\)/);
        assert.match(error.message, /ignoring case, spaces, _ and -/);
        return true;
      },
    );
    const noKey = new RosterRecordReader('employees', { today, skipRows: 0 });
    assert.throws(
      () => noKey.read(['First', 'Last']),
      /external_id \(external_id, employeeid, .*\) or email \(email, emailaddress, mail\)/,
    );
  });

  it("a row's errors name the column as the file's header writes it", () => {
    const reader = readerAfterHeader('employees', [
      '\uFEFFEmployee ID',
      'First Name',
      'Last Name',
      'DOB',
      'NPI',
    ]);
    const row = reader.read(['E1', 'Ann', '', '2099-01-01', '1234567890']);
    assert.ok(row !== null && row !== HEADER && !row.ok);
    assert.deepEqual(
      row.errors.map((e) => [e.column, e.message]),
      [
        ['date_of_birth', 'DOB is in the future.'],
        ['npi', 'NPI must be 10 digits with a valid check digit.'],
        ['last_name', 'Last Name is required.'],
      ],
    );
  });

  it('the API names its own fields (dateOfBirth, not date_of_birth)', () => {
    const camel = (column: string) => column.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
    const result = validateRosterRow(
      'employees',
      { first_name: 'Ann', last_name: 'Lee', date_of_birth: '2099-01-01' },
      { today, fieldName: camel },
    );
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.message),
      ['dateOfBirth is in the future.', 'Each row needs externalId or email to identify the person.'],
    );
  });
});

describe('the roster columns documentation (generated from domain/roster-row.ts)', () => {
  it('lists every column and every accepted spelling of each kind', () => {
    const markdown = rosterColumnsMarkdown();
    for (const kind of Object.keys(ROSTER_FIELDS) as RosterKind[]) {
      assert.match(markdown, new RegExp(`\\*\\*${kind}\\*\\*`));
      for (const column of Object.keys(ROSTER_FIELDS[kind])) {
        const aliases = acceptedHeaders(kind, column).slice(1);
        const row = `| \`${column}\` | ${aliases.map((alias) => `\`${alias}\``).join(', ') || '—'} |`;
        assert.ok(markdown.includes(row), `${kind}: ${row}`);
      }
    }
  });

  it('docs/features.md holds it as generated', () => {
    const features = fs.readFileSync(path.join(root, 'docs', 'features.md'), 'utf8');
    const between = /<!-- roster-columns:start[^>]*-->\n([\s\S]*?)\n<!-- roster-columns:end -->/.exec(
      features,
    );
    assert.ok(between, 'docs/features.md has the roster-columns markers');
    assert.equal(between[1], rosterColumnsMarkdown(), 'regenerate it: rosterColumnsMarkdown()');
  });
});
