/**
 * The structure as a reader checks it (README "Architecture"): every import
 * between the project's own modules goes from a higher room to a lower one,
 * or stays in its room, and no file's value imports lead back to it. Rooms,
 * lowest first: errors (and the worker bootstrap and start), machines, system and
 * design files side by side, then
 * properties and packed side by side (neither imports the other), the judge,
 * the search's stores, its BFS partitions, the liveness pass, the worker
 * threads, random search, the search's top (strategies, the exhaustive
 * driver), traces, the check, views, the command line, the library entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/** Rooms from the bottom up; a file belongs to the first whose prefix it has (the longest prefixes come first where they nest). */
const ROOMS: readonly (readonly [room: string, rank: number])[] = [
  ['src/errors.ts', 0],
  ['src/version.ts', 0],
  ['src/worker-boot.mjs', 0],
  ['src/worker-start.ts', 0],
  ['machines/', 1],
  ['src/system/', 2],
  ['src/design/', 2],
  ['properties/', 3],
  ['src/packed/', 3],
  ['src/judge/', 4],
  ['src/search/store/', 5],
  ['src/search/bfs/', 6],
  ['src/search/liveness/', 7],
  ['src/search/parallel/', 8],
  ['src/search/random/', 9],
  ['src/search/', 10],
  ['src/trace/', 11],
  ['src/check/', 12],
  ['src/views/', 13],
  // the library entry (the package's exports): beside the views, below the command line, which it does not use
  ['src/index.ts', 13],
  ['src/cli/', 14],
];

function roomOf(file: string): readonly [string, number] {
  const found = ROOMS.find(([prefix]) => file === prefix || file.startsWith(prefix));
  if (found === undefined) throw new Error(`${file} is in no room: add it to ROOMS`);
  return found;
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return /\.(ts|mjs)$/.test(e.name) ? [rel] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

const files = ['machines', 'properties', 'src'].flatMap(sources);

describe('imports point down', () => {
  it.each(files)('%s imports only from its own room or a lower one', (file) => {
    const [room, rank] = roomOf(file);
    const upward = importsOf(file).filter((target) => {
      const [targetRoom, targetRank] = roomOf(target);
      return targetRoom !== room && targetRank >= rank;
    });
    expect(upward).toEqual([]);
  });

  it('has no circle of value imports (type-only imports are erased)', () => {
    const valueImports = (file: string): string[] => {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      return [...text.matchAll(/(?:import|export)\s(?!type\s)[^;]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
        path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
      );
    };
    const circles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, trail: readonly string[]): void => {
      if (trail.includes(file)) {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      if (done.has(file) || !fs.existsSync(path.join(root, file))) return;
      for (const target of valueImports(file)) visit(target, [...trail, file]);
      done.add(file);
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('knows every file', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) expect(() => roomOf(file)).not.toThrow();
  });
});
