/**
 * `apfcheck report FILE [-o report.html]` and `apfcheck report --design NAME | --design-file FILE`:
 * the offline HTML report of a trace, or of a design's machines alone.
 */
import { writeFileSync } from 'node:fs';
import { loadDesignFile } from '../design/design-file.js';
import { UsageError } from '../errors.js';
import { replayForView } from '../trace/replay.js';
import { readTraceFile } from '../trace/trace.js';
import { buildReport } from '../views/report.js';
import { design as designNamed } from '../check/request-options.js';

export interface ReportFlags {
  readonly design?: string;
  readonly designFile?: string;
  readonly output: string;
}

export async function reportCommand(file: string | undefined, flags: ReportFlags): Promise<number> {
  const designs = [flags.design, flags.designFile].filter((d) => d !== undefined).length;
  if (file !== undefined && designs > 0) {
    throw new UsageError('give a trace file or --design / --design-file, not both: a trace already names its design');
  }
  if (designs > 1) throw new UsageError('give --design or --design-file, not both');
  if (file === undefined && designs === 0) {
    throw new UsageError('give a trace file (apfcheck report FILE) or a design to draw (apfcheck report --design NAME or --design-file FILE)');
  }
  const trace = file === undefined ? undefined : readTraceFile(file);
  // a trace that no longer replays is refused, naming the file, before anything is built
  if (trace !== undefined) replayForView(trace, undefined, file);
  const design = flags.designFile === undefined ? () => designNamed(flags.design!) : () => loadDesignFile(flags.designFile!);
  const html = await buildReport(trace !== undefined ? { trace } : { design: design() });
  try {
    writeFileSync(flags.output, html);
  } catch (error) {
    throw new UsageError(`cannot write -o ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  process.stdout.write(`report written to ${flags.output} (${Math.ceil(Buffer.byteLength(html) / 1024)} KB, self-contained: open it in any browser)\n`);
  return 0;
}
