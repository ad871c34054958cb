/**
 * `apfcheck export --machine host|guest|token [--design NAME | --design-file FILE] --format dot|mermaid|json`:
 * one machine's static graph, for Graphviz, mermaid or the XState definition; `--format design`: the design itself
 * as a complete design file, the way to start one's own.
 */
import { machinesOf } from '../system/system.js';
import { readDesignFile, toDesignFile, type DesignFile } from '../design/design-file.js';
import { UsageError } from '../errors.js';
import { toDot, toMermaid } from '../views/machine-graph.js';
import { design as designNamed } from '../check/request-options.js';

const MACHINES = ['host', 'guest', 'token'] as const;
const FORMATS = ['dot', 'mermaid', 'json', 'design'] as const;

export function exportCommand(flags: { machine?: string; design?: string; designFile?: string; format: string }): number {
  if (flags.design !== undefined && flags.designFile !== undefined) throw new UsageError('give --design or --design-file, not both');
  if (!(FORMATS as readonly string[]).includes(flags.format)) {
    throw new UsageError(`unknown format '${flags.format}': choose one of ${FORMATS.join(', ')}`);
  }
  const builtIn = (): DesignFile => {
    const design = designNamed(flags.design ?? 'x86');
    return { design, root: design.name, bugs: [] };
  };
  const { design, root, bugs } = flags.designFile === undefined ? builtIn() : readDesignFile(flags.designFile);
  if (flags.format === 'design') {
    if (flags.machine !== undefined) throw new UsageError('--format design writes the design, not a machine: drop --machine');
    process.stdout.write(toDesignFile(design, root, bugs));
    return 0;
  }
  if (flags.machine === undefined) throw new UsageError(`--machine is needed for --format ${flags.format}: choose one of ${MACHINES.join(', ')}`);
  if (!(MACHINES as readonly string[]).includes(flags.machine)) {
    throw new UsageError(`unknown machine '${flags.machine}': choose one of ${MACHINES.join(', ')}`);
  }
  const machine = machinesOf(design)[flags.machine as (typeof MACHINES)[number]].machine;
  const text =
    flags.format === 'dot' ? toDot(machine) : flags.format === 'mermaid' ? toMermaid(machine) : `${JSON.stringify(machine.toJSON(), null, 2)}\n`;
  process.stdout.write(text);
  return 0;
}
