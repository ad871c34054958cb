/**
 * The package as users get it. Cold start: `apfcheck --help` must not load
 * the model, the search or the view libraries, so the command line's entry
 * imports each command's module only when that command runs (checked here
 * on the static imports, which are what a start loads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/** The packages a module loads when imported: its static value imports, followed through our own files (type-only imports are erased). */
function packagesLoadedBy(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  for (const [, specifier] of text.matchAll(/^(?:import|export)\s(?!type\s)(?:[^;]*?from\s+)?['"]([^'"]+)['"]/gm)) {
    if (!specifier!.startsWith('.')) {
      packages.add(specifier!);
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier!)).replace(/\.js$/, '.ts');
    for (const p of packagesLoadedBy(target, seen)) packages.add(p);
  }
  return packages;
}

describe('cold start', () => {
  it('the command line loads commander and nothing heavy before a command runs', () => {
    expect([...packagesLoadedBy('src/cli/run.ts')].sort()).toEqual(['commander', 'node:fs']);
  });

  const heavy = ['@viz-js/viz', '@statelyai/inspect', '@statelyai/inspect/server'];
  const loading = (file: string) => heavy.filter((p) => packagesLoadedBy(file).has(p));

  it('the commands that use a view library are the ones that load it', () => {
    expect(loading('src/cli/check-command.ts')).toEqual([]);
    expect(loading('src/cli/list-command.ts')).toEqual([]);
    expect(loading('src/cli/replay-command.ts')).toEqual([]);
    expect(loading('src/cli/export-command.ts')).toEqual([]);
    expect(loading('src/cli/report-command.ts')).toEqual(['@viz-js/viz']);
    // the relay's server only when a relay is served, not for --events-out
    expect(loading('src/cli/inspect-command.ts')).toEqual(['@statelyai/inspect']);
  });

  it('the library loads no view library', () => {
    expect(loading('src/index.ts')).toEqual([]);
  });
});
