// docs/configuration.md is generated from the configuration tables by scripts/generate-config-docs.ts;
// this test fails when a definition changed and the reference was not regenerated.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { BROKER_CONFIG_DEFINITIONS, TOPIC_CONFIG_DEFINITIONS } from '../../src/config/index.ts';

// The generator lives outside this package, so it is imported by URL: a static import would pull it
// into the broker's TypeScript project, whose rootDir it is not under.
const GENERATOR_URL = new URL('../../../../scripts/generate-config-docs.ts', import.meta.url);
const DOC_URL = new URL('../../../../docs/configuration.md', import.meta.url);
const REGENERATE = 'run `node scripts/generate-config-docs.ts` and commit docs/configuration.md';

interface ConfigDocGenerator {
  renderConfigurationDoc(): string;
}

async function render(): Promise<string> {
  const generator = (await import(GENERATOR_URL.href)) as ConfigDocGenerator;
  return generator.renderConfigurationDoc();
}

/** Where two texts first differ, as a line number and both lines, for a readable failure. */
function firstDifference(actual: string, expected: string): string {
  const actualLines = actual.split('\n');
  const expectedLines = expected.split('\n');
  for (let i = 0; i < Math.max(actualLines.length, expectedLines.length); i++) {
    if (actualLines[i] !== expectedLines[i]) {
      return `first difference at line ${i + 1}:\n  file:      ${actualLines[i] ?? '<end of file>'}\n  generated: ${expectedLines[i] ?? '<end of file>'}`;
    }
  }
  return 'the texts differ';
}

describe('docs/configuration.md', () => {
  test('is what scripts/generate-config-docs.ts generates', async () => {
    const expected = await render();
    const actual = await readFile(DOC_URL, 'utf8').catch(() => null);
    if (actual === null) assert.fail(`docs/configuration.md is missing: ${REGENERATE}`);
    if (actual !== expected) {
      assert.fail(
        `docs/configuration.md is out of date: ${REGENERATE}\n${firstDifference(actual, expected)}`,
      );
    }
  });

  test('has a table row for every broker and topic key', async () => {
    const doc = await render();
    for (const definition of [...BROKER_CONFIG_DEFINITIONS, ...TOPIC_CONFIG_DEFINITIONS]) {
      const row = new RegExp(`^\\| \`${definition.name.replaceAll('.', '\\.')}\` +\\|`, 'm');
      assert.match(doc, row, `no row for ${definition.name}`);
    }
  });

  test('every table row has as many cells as its header (pipes in cells are escaped)', async () => {
    const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length;
    const tables = (await render()).split(/\n{2,}/).filter((block) => block.startsWith('|'));
    assert.equal(tables.length, 2);
    for (const table of tables) {
      const [header, ...rows] = table.trimEnd().split('\n');
      for (const row of rows) assert.equal(cells(row), cells(header!), row);
    }
  });
});
