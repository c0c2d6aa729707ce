import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shape of the house (docs/architecture.md): every import points down the layers, SQL lives in
 * the stores of db/, and modules stay small. Read from the source text, so a change that breaks a
 * rule fails here before review.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAYERS = ['api', 'services', 'workers', 'workflows', 'activities', 'db', 'domain', 'lib'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  api: ['services', 'db', 'domain', 'lib'],
  services: ['db', 'domain', 'lib'],
  workers: ['workflows', 'activities', 'db', 'domain', 'lib'],
  workflows: ['domain', 'lib'],
  activities: ['db', 'domain', 'lib'],
  db: ['domain', 'lib'],
  domain: ['lib'],
  lib: [],
};

interface SourceFile {
  file: string;
  layer: Layer;
  text: string;
}

function sourceFiles(): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string, layer: Layer) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, layer);
      else if (entry.name.endsWith('.ts')) {
        files.push({ file: path.relative(root, full), layer, text: fs.readFileSync(full, 'utf8') });
      }
    }
  };
  for (const layer of LAYERS) if (fs.existsSync(path.join(root, layer))) walk(path.join(root, layer), layer);
  return files;
}

interface Import {
  target: string;
  typeOnly: boolean;
}

function importsOf(source: SourceFile): Import[] {
  const found: Import[] = [];
  const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.text.matchAll(pattern)) {
    found.push({ target: match[2] as string, typeOnly: Boolean(match[1]) });
  }
  return found;
}

/** The layer and path (from the root) a relative import names, or null for a package. */
function resolveLocal(source: SourceFile, target: string): { layer: string; file: string } | null {
  if (!target.startsWith('.')) return null;
  const file = path.relative(root, path.resolve(root, path.dirname(source.file), target));
  return { layer: file.split(path.sep)[0] as string, file };
}

const files = sourceFiles();

describe('layering (docs/architecture.md)', () => {
  it('every import points down the layers', () => {
    const wrong: string[] = [];
    for (const source of files) {
      for (const { target, typeOnly } of importsOf(source)) {
        const local = resolveLocal(source, target);
        if (!local || local.layer === source.layer) continue;
        // Workflows know their activities by type only: proxyActivities<typeof activities>.
        if (source.layer === 'workflows' && local.layer === 'activities' && typeOnly) continue;
        if (!MAY_IMPORT[source.layer].includes(local.layer as Layer)) {
          wrong.push(`${source.file} imports ${local.file} (${source.layer} → ${local.layer})`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('the Temporal contract imports nothing of the project', () => {
    const contract = files.find((source) => source.file === path.join('lib', 'workflow-contracts.ts'));
    assert.ok(contract, 'lib/workflow-contracts.ts exists');
    assert.deepEqual(
      importsOf(contract)
        .map((entry) => entry.target)
        .filter((target) => target.startsWith('.')),
      [],
    );
  });

  it('no SQL outside db/: api, services and activities call stores', () => {
    const sql = /\b(SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|COPY\s+\w+)\b/;
    const databaseModules = /^(sequelize|pg|pg-copy-streams)$|\/db\/sql$/;
    const wrong: string[] = [];
    for (const source of files.filter((f) => ['api', 'services', 'activities'].includes(f.layer))) {
      const literals = source.text.match(/`[^`]*`|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g) ?? [];
      const statement = literals.find((literal) => sql.test(literal));
      if (statement) wrong.push(`${source.file} holds SQL: ${statement.slice(0, 60)}`);
      for (const { target, typeOnly } of importsOf(source)) {
        if (databaseModules.test(target) && !typeOnly) wrong.push(`${source.file} imports ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('modules stay small: ≤ 400 lines, a route module ≤ 300', () => {
    const wrong: string[] = [];
    for (const source of files) {
      const lines = source.text.split('\n').length - (source.text.endsWith('\n') ? 1 : 0);
      const limit = source.file.startsWith(path.join('api', 'routes')) ? 300 : 400;
      if (lines > limit) wrong.push(`${source.file}: ${lines} lines (at most ${limit})`);
    }
    assert.deepEqual(wrong, []);
  });
});
