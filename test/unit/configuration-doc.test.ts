import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchema } from '../../lib/config';

const docPath = new URL('../../docs/configuration.md', import.meta.url);

/** The first cells of the table under "## Variables" in docs/configuration.md, one variable a row. */
function documentedVariables(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Variables\n'));
  assert.ok(section, 'docs/configuration.md has a "## Variables" section');
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  return rows.slice(2).map((row) => {
    const cell = row.split('|')[1]?.trim() ?? '';
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cell)?.[1];
    assert.ok(name, `a row names exactly one variable in backticks: ${row}`);
    return name;
  });
}

describe('docs/configuration.md', () => {
  const documented = documentedVariables(readFileSync(docPath, 'utf8'));
  const schemaVariables = Object.keys(configSchema.shape);

  it('documents every variable of the configuration schema', () => {
    assert.deepEqual(
      schemaVariables.filter((name) => !documented.includes(name)),
      [],
    );
  });

  it('documents no variable the schema does not read', () => {
    assert.deepEqual(
      documented.filter((name) => !schemaVariables.includes(name)),
      [],
    );
  });

  it('documents each variable once', () => {
    assert.deepEqual(
      documented.filter((name, index) => documented.indexOf(name) !== index),
      [],
    );
  });
});
