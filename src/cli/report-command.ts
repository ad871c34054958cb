/**
 * `apfcheck report FILE [-o report.html]` and `apfcheck report --design NAME`:
 * the offline HTML report of a trace, or of a design's machines alone.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { replayForView } from '../trace/replay.js';
import { readTraceFile } from '../trace/trace.js';
import { buildReport } from '../views/report.js';
import { design as designNamed } from './options.js';

export interface ReportFlags {
  readonly design?: string;
  readonly output: string;
}

export async function reportCommand(file: string | undefined, flags: ReportFlags): Promise<number> {
  if (file !== undefined && flags.design !== undefined) {
    throw new UsageError('give a trace file or --design, not both: a trace already names its design');
  }
  if (file === undefined && flags.design === undefined) {
    throw new UsageError('give a trace file (apfcheck report FILE) or a design to draw (apfcheck report --design NAME)');
  }
  const trace = file === undefined ? undefined : readTraceFile(file);
  // a trace that no longer replays is refused, naming the file, before anything is built
  if (trace !== undefined) replayForView(trace, undefined, file);
  const html = await buildReport(trace !== undefined ? { trace } : { design: designNamed(flags.design!) });
  try {
    writeFileSync(flags.output, html);
  } catch (error) {
    throw new UsageError(`cannot write -o ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  process.stdout.write(`report written to ${flags.output} (${Math.ceil(Buffer.byteLength(html) / 1024)} KB, self-contained: open it in any browser)\n`);
  return 0;
}
