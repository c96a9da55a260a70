// `sluice completion bash|zsh`: the scripts parse, and the bash one completes subcommands, each
// subcommand's flags (all of those its --help lists), file names and fixed values, run in a real bash.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SLUICE_BIN } from '@sluice/client/dev-cluster';
import { removeDir, tempDir } from '../helpers.ts';

function sluice(args: readonly string[]): string {
  return execFileSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

async function sluiceAsync(args: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [SLUICE_BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return stdout;
}

function hasShell(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0'], { timeout: 10_000 }).status === 0;
}

describe('sluice completion', () => {
  let dir: string;
  let bashFile: string;
  let zshFile: string;

  before(async () => {
    dir = await tempDir('completion');
    bashFile = join(dir, 'sluice.bash');
    zshFile = join(dir, '_sluice');
    await writeFile(bashFile, sluice(['completion', 'bash']));
    await writeFile(zshFile, sluice(['completion', 'zsh']));
    await writeFile(join(dir, 'server.properties'), 'broker.id=1\n');
  });

  after(async () => {
    await removeDir(dir);
  });

  /** What the bash completion function offers for the words typed so far (the last one partial). */
  function complete(...words: string[]): string[] {
    const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
    const script = `source '${bashFile}'
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}
_sluice
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    return result.stdout.split('\n').filter((l) => l.length > 0);
  }

  it('prints a bash script that bash accepts', () => {
    const result = spawnSync('bash', ['-n', bashFile], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, result.stderr);
  });

  it('completes subcommands, flags, files and fixed values in bash', () => {
    assert.deepEqual(complete('sluice', 'top'), ['topics']);
    assert.deepEqual(complete('sluice', 'topics', '--cr'), ['--create']);
    assert.deepEqual(complete('sluice', 'producer-perf-test', '--num'), ['--num-records']);
    assert.deepEqual(complete('sluice', 'consumer-perf-test', '--show'), ['--show-detailed-stats']);
    assert.deepEqual(complete('sluice', 'completion', ''), ['bash', 'zsh']);
    assert.deepEqual(complete('sluice', 'server-start', 'serv'), ['server.properties']);
    assert.deepEqual(complete('sluice', 'producer-perf-test', '--producer.config', 'serv'), [
      'server.properties',
    ]);
    assert.deepEqual(complete('sluice', 'topics', '--topic', ''), [], 'a free-form value: nothing to offer');
    assert.deepEqual(complete('sluice', 'topics', '--topic', 't1', '--desc'), ['--describe']);
    assert.ok(complete('sluice', '').includes('producer-perf-test'));
  });

  it('knows every subcommand of `sluice --help` and every flag each one lists in its --help', async () => {
    const commands = [...sluice(['--help']).matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] as string);
    assert.ok(commands.length >= 8, commands.join(' '));
    assert.deepEqual(
      complete('sluice', '').filter((w) => !w.startsWith('--')),
      commands,
    );
    // server-start prints the broker's own usage line, not a flag table.
    const withTables = commands.filter((c) => c !== 'server-start');
    const helps = await Promise.all(withTables.map((c) => sluiceAsync([c, '--help'])));
    for (const [i, command] of withTables.entries()) {
      const listed = [...(helps[i] as string).matchAll(/^(--[a-z][a-z0-9.-]*)/gm)].map((m) => m[1]);
      assert.deepEqual(complete('sluice', command, '--').sort(), listed.sort(), command);
    }
    assert.deepEqual(complete('sluice', 'server-start', 'server.properties', '--'), ['--override']);
  });

  it('prints a zsh script that zsh accepts and registers', {
    skip: !hasShell('zsh') && 'zsh is not installed',
  }, () => {
    const syntax = spawnSync('zsh', ['-n', zshFile], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(syntax.status, 0, syntax.stderr);
    const loaded = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -U compinit && compinit -u -D && source '${zshFile}' && print -r -- $_comps[sluice]`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 10_000 },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim(), '_sluice');
  });

  it('refuses an unknown shell with one line', () => {
    const result = spawnSync(process.execPath, [SLUICE_BIN, 'completion', 'fish'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^Unsupported shell 'fish': expected bash or zsh$/m);
  });
});
