/**
 * `apfcheck export --machine host|guest|token [--design NAME] --format dot|mermaid|json`:
 * one machine's static graph, for Graphviz, mermaid or the XState definition.
 */
import { machinesOf } from '../system/system.js';
import { UsageError } from '../errors.js';
import { toDot, toMermaid } from '../views/machine-graph.js';
import { design as designNamed } from './options.js';

const MACHINES = ['host', 'guest', 'token'] as const;
const FORMATS = ['dot', 'mermaid', 'json'] as const;

export function exportCommand(flags: { machine: string; design: string; format: string }): number {
  if (!(MACHINES as readonly string[]).includes(flags.machine)) {
    throw new UsageError(`unknown machine '${flags.machine}': choose one of ${MACHINES.join(', ')}`);
  }
  if (!(FORMATS as readonly string[]).includes(flags.format)) {
    throw new UsageError(`unknown format '${flags.format}': choose one of ${FORMATS.join(', ')}`);
  }
  const machine = machinesOf(designNamed(flags.design))[flags.machine as (typeof MACHINES)[number]].machine;
  const text =
    flags.format === 'dot' ? toDot(machine) : flags.format === 'mermaid' ? toMermaid(machine) : `${JSON.stringify(machine.toJSON(), null, 2)}\n`;
  process.stdout.write(text);
  return 0;
}
