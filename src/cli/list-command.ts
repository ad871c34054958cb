/**
 * `apfcheck list designs|properties|bugs|options [--json]`.
 */
import { DESIGNS, DesignSchema, type DesignOptions } from '../../machines/design.js';
import { PROPERTIES } from '../../properties/index.js';
import { MUTANTS } from '../../machines/mutants.js';
import { UsageError } from '../errors.js';
import { table } from './output.js';

const LISTS = ['designs', 'properties', 'bugs', 'options'] as const;

/** The fields of a design that are its identity, not options (`list designs` shows them). */
const IDENTITY = new Set(['name', 'summary', 'section']);

/**
 * Every design option, read from the one schema (machines/design.ts): its type or allowed values, what it models (its
 * description names the kernel function and reference section) and its value in each built-in design.
 */
function designOptions() {
  return Object.entries(DesignSchema.shape)
    .filter(([option]) => !IDENTITY.has(option))
    .map(([option, schema]) => {
      const values = (schema as { options?: readonly string[] }).options;
      return {
        option,
        type: values === undefined ? schema.def.type : values.join(' | '),
        ...(values === undefined ? {} : { values }),
        models: schema.description ?? '',
        designs: Object.fromEntries(DESIGNS.map((d) => [d.name, d[option as keyof DesignOptions]])),
      };
    });
}

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
  } else if (what === 'options') {
    const options = designOptions();
    const grid = table(['option', 'type', ...DESIGNS.map((d) => d.name)], options.map((o) => [o.option, o.type, ...DESIGNS.map((d) => String(o.designs[d.name]))]));
    print(options, `${grid}\n\n${options.map((o) => `${o.option}: ${o.models}`).join('\n')}`);
  } else {
    print(
      MUTANTS.map((m) => ({ id: m.id, base: m.base, commit: m.commit, description: m.description, breaks: m.breaks, scope: m.scope })),
      table(['bug', 'design', 'commit', 'breaks', 'description'], MUTANTS.map((m) => [m.id, m.base, m.commit, m.breaks, m.description])),
    );
  }
  return 0;
}
