/**
 * `apfcheck list designs|properties|bugs [--json]`.
 */
import { DESIGNS } from '../../machines/design.js';
import { PROPERTIES } from '../../properties/index.js';
import { MUTANTS } from '../../machines/mutants.js';
import { UsageError } from '../errors.js';
import { table } from './output.js';

const LISTS = ['designs', 'properties', 'bugs'] as const;

export function listCommand(what: string, json: boolean): number {
  if (!(LISTS as readonly string[]).includes(what)) {
    throw new UsageError(`cannot list '${what}': choose one of ${LISTS.join(', ')}`);
  }
  const print = (data: unknown, text: string) => process.stdout.write(`${json ? JSON.stringify(data, null, 2) : text}\n`);
  if (what === 'designs') {
    print(
      DESIGNS.map((d) => ({ name: d.name, section: d.section, summary: d.summary, options: d })),
      table(['design', 'ref', 'summary'], DESIGNS.map((d) => [d.name, d.section, d.summary])),
    );
  } else if (what === 'properties') {
    print(
      PROPERTIES.map((p) => ({ id: p.id, label: p.label, kind: p.kind, summary: p.summary })),
      table(['property', 'ref', 'kind', 'summary'], PROPERTIES.map((p) => [p.id, p.label, p.kind, p.summary])),
    );
  } else {
    print(
      MUTANTS.map((m) => ({ id: m.id, base: m.base, commit: m.commit, description: m.description, breaks: m.breaks, scope: m.scope })),
      table(['bug', 'design', 'commit', 'breaks', 'description'], MUTANTS.map((m) => [m.id, m.base, m.commit, m.breaks, m.description])),
    );
  }
  return 0;
}
