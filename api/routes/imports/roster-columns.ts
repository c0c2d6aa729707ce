import { acceptedHeaders, REQUIRED_COLUMNS, ROSTER_FIELDS } from '../../../domain/roster-row';
import type { RosterKind } from '../../../lib/workflow-contracts';

const code = (text: string) => `\`${text}\``;

function requirement(kind: RosterKind): string {
  const { all, oneOf } = REQUIRED_COLUMNS[kind];
  const parts = all.map(code);
  if (oneOf) parts.push(`one of ${oneOf.map(code).join(' or ')}`);
  return parts.join(', ');
}

/**
 * The roster columns of every kind and the header spellings each accepts, as Markdown. Generated
 * from domain/roster-row.ts for the import route's OpenAPI description and docs/features.md (a test
 * holds that file equal), so neither can drift from the rules the import applies.
 */
export function rosterColumnsMarkdown(): string {
  const sections = (Object.keys(ROSTER_FIELDS) as RosterKind[]).map((kind) => {
    const rows = Object.keys(ROSTER_FIELDS[kind]).map((column) => {
      const [, ...aliases] = acceptedHeaders(kind, column);
      return `| ${code(column)} | ${aliases.map(code).join(', ') || '—'} |`;
    });
    return [
      `**${kind}** — required: ${requirement(kind)}`,
      '',
      '| column | also accepted |',
      '|---|---|',
      ...rows,
    ].join('\n');
  });
  return [
    'Headers match ignoring case, spaces, `_` and `-` (`First Name`, `FIRST_NAME` and `firstname` are one header). ' +
      'Other columns are ignored and listed in `unknownColumns`; a missing required column fails the import, naming the spellings it accepts. ' +
      '`other_names` (`Other Names`, `AKA`, `Maiden Name`, `Former Name`) holds one or more names separated by `;` or `|`, each a full name or a last name alone; ' +
      'several of these columns in one file are read together.',
    ...sections,
  ].join('\n\n');
}
