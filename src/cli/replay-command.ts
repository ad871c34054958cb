/**
 * `apfcheck replay FILE [--json]`: exit 1 when the violation recurs, 0 when
 * the trace now runs clean, 2 for a file that cannot be used or no longer
 * matches the model.
 */
import { printable } from '../errors.js';
import { replayTrace } from '../trace/replay.js';
import { describeCycle, readTraceFile } from '../trace/trace.js';
import { stepTable } from './output.js';

export function replayCommand(file: string, json: boolean): number {
  const trace = readTraceFile(file);
  const outcome = replayTrace(trace);
  const code = outcome.status === 'violation' ? 1 : outcome.status === 'clean' ? 0 : 2;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        file,
        design: trace.design.name,
        bugs: trace.bugs,
        scope: trace.scope,
        recorded: trace.violation,
        cycleStart: trace.cycleStart ?? null,
        status: outcome.status,
        steps: outcome.rows,
        violation: outcome.status === 'violation' ? outcome.violation : null,
        divergence: outcome.status === 'diverged' ? { step: outcome.at, reason: outcome.reason } : null,
      })}\n`,
    );
    return code;
  }
  const header = [
    `trace ${file}: design ${trace.design.name}${trace.bugs.length > 0 ? ` (bugs: ${trace.bugs.join(', ')})` : ''}`,
    `recorded violation: ${trace.violation === null ? 'none' : `${trace.violation.property}: ${trace.violation.message}`}`,
  ];
  const cycle = describeCycle(trace.cycleStart, trace.steps.length);
  process.stdout.write(`${header.join('\n')}\n\n${stepTable(outcome.rows)}\n${cycle === undefined ? '' : `${cycle}\n`}\n`);
  if (outcome.status === 'violation') {
    process.stdout.write(`VIOLATED ${outcome.violation.property} after step ${outcome.violation.length}: ${outcome.violation.message}\n`);
  } else if (outcome.status === 'clean') {
    process.stdout.write('the trace runs clean: no property is violated\n');
  } else {
    process.stderr.write(`apfcheck: ${printable(`${file}: diverged at step ${outcome.at}: ${outcome.reason}`)}\n`);
  }
  return code;
}
